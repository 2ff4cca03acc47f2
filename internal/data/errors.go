package data

import (
	"errors"
	"fmt"
)

// Sentinel errors; parse errors wrap them with the structure and field.
var (
	ErrTruncated = errors.New("truncated")
	ErrInvalid   = errors.New("invalid")
)

// ParseError says which structure and field failed to parse.
type ParseError struct {
	Struct string // e.g. "RouterInfo"
	Field  string // e.g. "options"
	Err    error
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("data: %s: %v", e.Struct, e.Err)
	}
	return fmt.Sprintf("data: %s: %s: %v", e.Struct, e.Field, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func perr(st, field string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		// Keep the innermost structure, prefix the outer field path.
		return &ParseError{Struct: st, Field: joinField(field, pe.Struct+"."+pe.Field), Err: pe.Err}
	}
	return &ParseError{Struct: st, Field: field, Err: err}
}

func joinField(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
