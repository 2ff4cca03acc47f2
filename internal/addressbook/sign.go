package addressbook

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// Signed lines (subscription.rst, "Signatures"): sig is the outer
// signature, by the line's destination, over the line without sig;
// oldsig the inner one, by olddest, over the line without sig and
// oldsig. The signed bytes are "name=dest" (add and change lines only),
// then "#!" and the remaining keys sorted, "k=v" joined by '#', with no
// newline.

// ErrSignature is wrapped by every signature failure.
var ErrSignature = errors.New("addressbook: bad signature")

// signedBytes serializes l without the keys in drop.
func (l Line) signedBytes(drop ...string) []byte {
	var keys []string
	for k := range l.Props {
		if !contains(drop, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // byte order is UTF-8 order
	var b strings.Builder
	if l.Action != ActionRemove && l.Action != ActionRemoveAll {
		b.WriteString(l.Name + "=" + l.DestB64)
	}
	if len(keys) > 0 {
		b.WriteString("#!")
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('#')
		}
		b.WriteString(k + "=" + l.Props[k])
	}
	return []byte(b.String())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// needsOld reports whether an action carries a second destination and
// its inner signature.
func needsOld(action string) bool {
	switch action {
	case ActionChangeDest, ActionAddDest, ActionAddSubdomain:
		return true
	}
	return false
}

// Verify checks the signatures of a signed line: sig by the line's
// destination and, for changedest, adddest and addsubdomain, oldsig by
// olddest (the keys each action requires are checked too). It returns
// the parsed olddest, zero when the action has none.
func (l Line) Verify() (data.Destination, error) {
	if !l.Signed() {
		return data.Destination{}, errors.New("addressbook: line is not signed")
	}
	var old data.Destination
	switch l.Action {
	case ActionChangeName, ActionAddName:
		if l.Props[keyOldName] == "" {
			return old, fmt.Errorf("addressbook: %s without oldname", l.Action)
		}
	case ActionRemove, ActionRemoveAll:
		if l.Props[keyDest] == "" {
			return old, fmt.Errorf("addressbook: %s without dest", l.Action)
		}
	}
	if needsOld(l.Action) {
		var err error
		if old, err = ParseDest(l.Props[keyOldDest]); err != nil {
			return old, fmt.Errorf("addressbook: %s: olddest: %w", l.Action, err)
		}
		if l.Action == ActionAddSubdomain && !strings.HasSuffix(l.Name, "."+l.Props[keyOldName]) {
			return old, fmt.Errorf("addressbook: addsubdomain %s is not under oldname %q", l.Name, clip(l.Props[keyOldName]))
		}
		if err := verifyWith(old, l.Props[keyOldSig], l.signedBytes(keySig, keyOldSig)); err != nil {
			return old, fmt.Errorf("%w: oldsig of %s: %v", ErrSignature, l.Name, err)
		}
	}
	if err := verifyWith(l.Dest, l.Props[keySig], l.signedBytes(keySig)); err != nil {
		name := l.Name
		if name == "" {
			name = l.Action
		}
		return old, fmt.Errorf("%w: sig of %s: %v", ErrSignature, name, err)
	}
	return old, nil
}

func verifyWith(d data.Destination, sigB64 string, msg []byte) error {
	if sigB64 == "" {
		return errors.New("missing")
	}
	if len(sigB64) > 1024 {
		return errors.New("too long")
	}
	sig, err := data.DecodeBase64(sigB64)
	if err != nil {
		return fmt.Errorf("not I2P Base64: %w", err)
	}
	return d.Verify(msg, sig)
}

// SignLine adds sig (and, with oldSigner, oldsig) to a line so that
// Verify accepts it: what a name's holder does to publish a command.
// props must hold the action's keys (action, oldname, olddest, name,
// dest…), not sig or oldsig. The returned text is the hosts.txt line.
func SignLine(name, destB64 string, props map[string]string, signer, oldSigner crypto.Signer) (string, error) {
	l := Line{Name: name, DestB64: destB64, Props: make(map[string]string, len(props)+2), Action: props[keyAction]}
	for k, v := range props {
		l.Props[k] = v
	}
	if oldSigner != nil {
		s, err := oldSigner.Sign(l.signedBytes())
		if err != nil {
			return "", err
		}
		l.Props[keyOldSig] = data.EncodeBase64(s)
	}
	s, err := signer.Sign(l.signedBytes())
	if err != nil {
		return "", err
	}
	l.Props[keySig] = data.EncodeBase64(s)
	return string(l.signedBytes()), nil
}
