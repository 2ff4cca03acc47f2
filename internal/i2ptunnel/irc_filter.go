package i2ptunnel

import (
	"bytes"
	"strings"
)

// The IRC client filter (Java I2P's IRC client tunnel, `type = irc`
// with a destination in veil): an allow-list both ways, line by line,
// so that neither the user's client nor anyone on the network can make
// it say who or where the user is.
//
//   - Commands not on the list are dropped (both ways).
//   - CTCP (\x01…\x01 in PRIVMSG or NOTICE): only ACTION passes; DCC
//     only when enabled (it offers the user's IP address); VERSION,
//     TIME, PING, CLIENTINFO, USERINFO, FINGER… are dropped both ways,
//     so the client never answers them.
//   - USER goes out as "USER <username> 0 * :<realname>", without the
//     client's host and server fields.
//   - QUIT and PART go out without their message (clients put their
//     name and version there).
//   - PING and PONG pass.

// ircQuitMessage replaces the user's QUIT message.
const ircQuitMessage = "leaving"

// ircOutbound are the commands a client may send.
var ircOutbound = commandSet("ADMIN AUTHENTICATE AWAY CAP INFO INVITE ISON JOIN KICK KNOCK LINKS LIST LUSERS MAP " +
	"MODE MONITOR MOTD NAMES NICK NOTICE OPER PART PASS PING PONG PRIVMSG QUIT RULES SETNAME SILENCE STATS " +
	"TIME TOPIC USER USERHOST VERSION WATCH WHO WHOIS WHOWAS")

// ircInbound are the commands a server may send (numerics pass too).
var ircInbound = commandSet("ACCOUNT AUTHENTICATE AWAY BATCH CAP CHGHOST ERROR FAIL INVITE JOIN KICK MODE NICK " +
	"NOTE NOTICE PART PING PONG PRIVMSG QUIT SETNAME TOPIC WALLOPS WARN")

func commandSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, c := range strings.Fields(s) {
		m[c] = true
	}
	return m
}

// ircFilter filters the lines of one IRC client tunnel connection.
type ircFilter struct{ allowDCC bool }

// ircMessage is a line cut into its parts (RFC 1459 / IRCv3): optional
// @tags and :prefix, the command, the middle parameters and the
// trailing one.
type ircMessage struct {
	tags, prefix string
	command      string
	params       []string
	trailing     string
	hasTrailing  bool
}

func parseIRC(line string) (ircMessage, bool) {
	var m ircMessage
	line = strings.TrimRight(line, "\r\n")
	if strings.ContainsAny(line, "\r\n\x00") {
		return m, false // one line, no NUL (RFC 1459 §2.3.1)
	}
	if strings.HasPrefix(line, "@") {
		m.tags, line, _ = strings.Cut(line[1:], " ")
	}
	line = strings.TrimLeft(line, " ")
	if strings.HasPrefix(line, ":") {
		m.prefix, line, _ = strings.Cut(line[1:], " ")
	}
	line = strings.TrimLeft(line, " ")
	if i := strings.Index(line, " :"); i >= 0 {
		m.trailing, m.hasTrailing = line[i+2:], true
		line = line[:i]
	} else if strings.HasPrefix(line, ":") {
		return m, false // no command
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return m, false
	}
	m.command, m.params = strings.ToUpper(f[0]), f[1:]
	return m, true
}

// String is the message as a line, CRLF included.
func (m ircMessage) String() string {
	var b strings.Builder
	if m.tags != "" {
		b.WriteString("@" + m.tags + " ")
	}
	if m.prefix != "" {
		b.WriteString(":" + m.prefix + " ")
	}
	b.WriteString(m.command)
	for _, p := range m.params {
		b.WriteString(" " + p)
	}
	if m.hasTrailing {
		b.WriteString(" :" + m.trailing)
	}
	b.WriteString("\r\n")
	return b.String()
}

// isNumeric reports a three-digit reply code.
func isNumeric(c string) bool {
	return len(c) == 3 && c[0] >= '0' && c[0] <= '9' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9'
}

// ctcpAllowed reports whether the text of a PRIVMSG or NOTICE may pass:
// no CTCP at all, a single ACTION, or (if enabled) a DCC.
func (f ircFilter) ctcpAllowed(text string) bool {
	i := strings.IndexByte(text, 0x01)
	if i < 0 {
		return true
	}
	if i != 0 {
		return false // CTCP embedded in text
	}
	body := strings.TrimSuffix(text[1:], "\x01")
	if strings.IndexByte(body, 0x01) >= 0 {
		return false // more than one CTCP
	}
	verb, _, _ := strings.Cut(body, " ")
	switch strings.ToUpper(verb) {
	case "ACTION":
		return true
	case "DCC":
		return f.allowDCC
	}
	return false
}

// ctcpOK checks a PRIVMSG or NOTICE: its text (the trailing parameter,
// or the last middle one) passes ctcpAllowed, and no other parameter
// holds a CTCP delimiter.
func (f ircFilter) ctcpOK(m ircMessage) bool {
	params, text := m.params, m.trailing
	if !m.hasTrailing {
		if len(params) < 2 {
			return !strings.Contains(strings.Join(params, " "), "\x01")
		}
		params, text = params[:len(params)-1], params[len(params)-1]
	}
	return !strings.Contains(strings.Join(params, " "), "\x01") && f.ctcpAllowed(text)
}

// outbound filters a line from the user's client; nil drops it.
func (f ircFilter) outbound(line []byte) []byte {
	m, ok := parseIRC(string(line))
	if !ok || !ircOutbound[m.command] {
		return nil
	}
	m.prefix, m.tags = "", "" // a client has no business sending either
	switch m.command {
	case "PRIVMSG", "NOTICE":
		if !f.ctcpOK(m) {
			return nil
		}
	case "USER":
		if len(m.params) < 1 {
			return nil
		}
		realname := m.trailing
		if !m.hasTrailing && len(m.params) >= 4 {
			realname = m.params[3]
		}
		m.params, m.trailing, m.hasTrailing = []string{m.params[0], "0", "*"}, realname, true
	case "QUIT":
		m.params, m.trailing, m.hasTrailing = nil, ircQuitMessage, true
	case "PART":
		if len(m.params) == 0 {
			return nil
		}
		m.params, m.trailing, m.hasTrailing = m.params[:1], "", false
	}
	return []byte(m.String())
}

// inbound filters a line from the server; nil drops it.
func (f ircFilter) inbound(line []byte) []byte {
	m, ok := parseIRC(string(line))
	if !ok || !(isNumeric(m.command) || ircInbound[m.command]) {
		return nil
	}
	if (m.command == "PRIVMSG" || m.command == "NOTICE") && !f.ctcpOK(m) {
		return nil
	}
	if !bytes.HasSuffix(line, []byte("\n")) {
		return []byte(m.String())
	}
	return bytes.Clone(line) // as sent: servers' lines pass untouched
}
