package i2np

import (
	"errors"
	"fmt"
)

// Sentinel errors; parse errors (*ParseError) wrap one of them with the
// structure and field, as internal/data does.
var (
	ErrTruncated = errors.New("truncated")
	ErrTrailing  = errors.New("trailing bytes")
	ErrChecksum  = errors.New("checksum mismatch")
	ErrTooLarge  = errors.New("too large")
	ErrInvalid   = errors.New("invalid")
)

// ParseError says which structure and field failed.
type ParseError struct {
	Struct string // "header", "DatabaseStore", ...
	Field  string // "" for the structure as a whole
	Err    error
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("i2np: %s: %v", e.Struct, e.Err)
	}
	return fmt.Sprintf("i2np: %s: %s: %v", e.Struct, e.Field, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func perr(st, field string, err error) error { return &ParseError{Struct: st, Field: field, Err: err} }

// detail wraps a sentinel with a formatted detail, keeping errors.Is.
func detail(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
