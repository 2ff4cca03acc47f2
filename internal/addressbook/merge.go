package addressbook

import (
	"fmt"
)

// maxVerifyPerFeed bounds the signed lines checked in one feed: a
// hostile feed of slow signature types (DSA, RSA) must not hold the CPU
// for long. Past it, signed lines are counted as bad.
const maxVerifyPerFeed = 20000

// merger applies the lines of one feed to a book.
type merger struct {
	book     *Book
	st       *Stats
	verified int
	changed  bool
}

// apply applies one line: a plain line adds a free name (the first name
// kept wins); a signed line is applied only when its signatures hold,
// by the rules of its action (subscription.rst):
//
//   - add, addname, addsubdomain: add the name if it is free;
//   - adddest: add the name if free; a name held with olddest keeps it
//     (a book holds one destination per name);
//   - changedest: a name held with olddest moves to the new
//     destination; a free name is added;
//   - changename: oldname, held with this destination, becomes name;
//   - remove: the name goes if it is held with dest;
//   - removeall: every name of dest goes;
//   - update: metadata only, nothing to do.
func (m *merger) apply(l Line) {
	if !l.Signed() {
		m.add(l)
		return
	}
	if m.verified >= maxVerifyPerFeed {
		m.st.bad(fmt.Errorf("addressbook: more than %d signed lines in one feed", maxVerifyPerFeed))
		return
	}
	m.verified++
	old, err := l.Verify()
	if err != nil {
		m.st.BadSig++
		m.st.LastError = err.Error()
		return
	}
	b := m.book
	switch l.Action {
	case ActionAdd, ActionAddName, ActionAddSubdomain:
		m.add(l)
	case ActionAddDest:
		if cur, ok := b.Lookup(l.Name); ok && cur.Hash() == old.Hash() {
			m.st.Ignored++
			return
		}
		m.add(l)
	case ActionChangeDest:
		cur, ok := b.Lookup(l.Name)
		switch {
		case !ok:
			m.add(l)
		case cur.Hash() == l.Dest.Hash():
			m.st.Ignored++
		case cur.Hash() == old.Hash():
			if b.Set(l.Name, l.Dest) == nil {
				m.st.Changed++
				m.changed = true
			}
		default:
			m.st.Conflicts++
		}
	case ActionChangeName:
		oldName, err := NormalizeName(l.Props[keyOldName])
		if err != nil {
			m.st.bad(err)
			return
		}
		if cur, ok := b.Lookup(oldName); ok && cur.Hash() == l.Dest.Hash() {
			if _, taken := b.Lookup(l.Name); taken {
				m.st.Conflicts++
				return
			}
			b.Remove(oldName)
			if b.Add(l.Name, l.Dest) == nil {
				m.st.Changed++
				m.changed = true
			}
			return
		}
		m.add(l)
	case ActionRemove:
		if cur, ok := b.Lookup(l.Name); ok && cur.Hash() == l.Dest.Hash() {
			b.Remove(l.Name)
			m.st.Changed++
			m.changed = true
			return
		}
		m.st.Ignored++
	case ActionRemoveAll:
		if gone := b.RemoveDest(l.Dest.Hash()); len(gone) > 0 {
			m.st.Changed += len(gone)
			m.changed = true
			return
		}
		m.st.Ignored++
	default: // update, and actions a later spec may add
		m.st.Ignored++
	}
}

func (m *merger) add(l Line) {
	if cur, ok := m.book.Lookup(l.Name); ok {
		if cur.Hash() == l.Dest.Hash() {
			m.st.Ignored++
		} else {
			m.st.Conflicts++
		}
		return
	}
	if err := m.book.Add(l.Name, l.Dest); err != nil {
		m.st.Conflicts++
		m.st.LastError = err.Error()
		return
	}
	m.st.Added++
	m.changed = true
}
