package addressbook

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Stats counts what reading a hosts.txt did.
type Stats struct {
	Lines     int // lines read
	Bad       int // lines that did not parse (too long, bad name, bad destination, bad #! keys)
	BadSig    int // signed lines whose signatures failed
	Added     int // names added
	Changed   int // names changed or removed by signed commands
	Conflicts int // names refused: held already, otherwise
	Ignored   int // lines valid but without effect
	LastError string
}

func (s *Stats) bad(err error) {
	s.Bad++
	s.LastError = err.Error()
}

// ParseHostsTxt reads a hosts.txt file or feed and calls fn with each
// line that parses, in order. It reads at most MaxFileSize bytes (an
// error past that, after the lines before it were given), skips lines
// longer than MaxLineLen without holding them, and counts bad lines in
// st.
func ParseHostsTxt(r io.Reader, fn func(Line), st *Stats) error {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	br := bufio.NewReaderSize(lr, MaxLineLen+2)
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Too long: drop the rest of the line.
			st.Lines++
			st.bad(fmt.Errorf("addressbook: line %d longer than %d bytes", st.Lines, MaxLineLen))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == nil {
				continue
			}
			raw = nil
		}
		if len(raw) > 0 {
			st.Lines++
			s := string(raw)
			if s[len(s)-1] == '\n' {
				s = s[:len(s)-1]
			}
			l, perr := ParseLine(s)
			switch {
			case perr == nil:
				fn(l)
			case !errors.Is(perr, ErrSkip):
				st.bad(fmt.Errorf("line %d: %w", st.Lines, perr))
			}
		}
		if err == io.EOF {
			if lr.N <= 0 {
				return fmt.Errorf("addressbook: larger than %d bytes", MaxFileSize)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}
