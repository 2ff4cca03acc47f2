package i2np

import "fmt"

// Tunnel build record sizes (i2np.rst; tunnel-creation-ecies.rst and
// proposal 157 for the short records). The records are opaque here: their
// encryption belongs to internal/tunnel.
const (
	BuildRecordLen      = 528
	ShortBuildRecordLen = 218
	MaxBuildRecords     = 8 // VariableTunnelBuild and ShortTunnelBuild: "num ... 1-8"
)

// BuildRecord is one encrypted 528-byte BuildRequestRecord or
// BuildResponseRecord (ElGamal or long ECIES).
type BuildRecord [BuildRecordLen]byte

// ShortBuildRecord is one encrypted 218-byte ShortBuildRequestRecord or
// ShortBuildResponseRecord (0.9.51).
type ShortBuildRecord [ShortBuildRecordLen]byte

// TunnelBuild is an I2NP TunnelBuild message (type 21, deprecated): always
// 8 records, no count byte.
type TunnelBuild struct{ Records [8]BuildRecord }

// TunnelBuildReply is an I2NP TunnelBuildReply message (type 22,
// deprecated): always 8 records.
type TunnelBuildReply struct{ Records [8]BuildRecord }

// VariableTunnelBuild is an I2NP VariableTunnelBuild message (type 23): a
// count byte and 1–8 528-byte records.
type VariableTunnelBuild struct{ Records []BuildRecord }

// VariableTunnelBuildReply is an I2NP VariableTunnelBuildReply message
// (type 24), the same shape as VariableTunnelBuild.
type VariableTunnelBuildReply struct{ Records []BuildRecord }

// ShortTunnelBuild is an I2NP ShortTunnelBuild message (type 25, 0.9.51):
// a count byte and 1–8 218-byte records.
type ShortTunnelBuild struct{ Records []ShortBuildRecord }

// OutboundTunnelBuildReply is an I2NP OutboundTunnelBuildReply message
// (type 26, 0.9.51), the same shape as ShortTunnelBuild.
type OutboundTunnelBuildReply struct{ Records []ShortBuildRecord }

// Parsers. Records are copied out of the input, so a caller may decrypt
// them in place.

// ParseTunnelBuild parses a TunnelBuild payload of exactly 8 × 528 bytes.
func ParseTunnelBuild(b []byte) (*TunnelBuild, error) {
	m := &TunnelBuild{}
	if err := parseFixedRecords("TunnelBuild", b, &m.Records); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseTunnelBuildReply parses a TunnelBuildReply payload of exactly
// 8 × 528 bytes.
func ParseTunnelBuildReply(b []byte) (*TunnelBuildReply, error) {
	m := &TunnelBuildReply{}
	if err := parseFixedRecords("TunnelBuildReply", b, &m.Records); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseVariableTunnelBuild parses a VariableTunnelBuild payload.
func ParseVariableTunnelBuild(b []byte) (*VariableTunnelBuild, error) {
	r, err := parseRecords("VariableTunnelBuild", b)
	if err != nil {
		return nil, err
	}
	return &VariableTunnelBuild{Records: r}, nil
}

// ParseVariableTunnelBuildReply parses a VariableTunnelBuildReply payload.
func ParseVariableTunnelBuildReply(b []byte) (*VariableTunnelBuildReply, error) {
	r, err := parseRecords("VariableTunnelBuildReply", b)
	if err != nil {
		return nil, err
	}
	return &VariableTunnelBuildReply{Records: r}, nil
}

// ParseShortTunnelBuild parses a ShortTunnelBuild payload.
func ParseShortTunnelBuild(b []byte) (*ShortTunnelBuild, error) {
	r, err := parseShortRecords("ShortTunnelBuild", b)
	if err != nil {
		return nil, err
	}
	return &ShortTunnelBuild{Records: r}, nil
}

// ParseOutboundTunnelBuildReply parses an OutboundTunnelBuildReply
// payload.
func ParseOutboundTunnelBuildReply(b []byte) (*OutboundTunnelBuildReply, error) {
	r, err := parseShortRecords("OutboundTunnelBuildReply", b)
	if err != nil {
		return nil, err
	}
	return &OutboundTunnelBuildReply{Records: r}, nil
}

// Encoders.

// Append appends the 4224-byte payload.
func (m *TunnelBuild) Append(b []byte) ([]byte, error) { return appendFixed(b, &m.Records), nil }

// Append appends the 4224-byte payload.
func (m *TunnelBuildReply) Append(b []byte) ([]byte, error) { return appendFixed(b, &m.Records), nil }

// Append appends the payload; it needs 1–8 records.
func (m *VariableTunnelBuild) Append(b []byte) ([]byte, error) {
	return appendRecords("VariableTunnelBuild", b, m.Records)
}

// Append appends the payload; it needs 1–8 records.
func (m *VariableTunnelBuildReply) Append(b []byte) ([]byte, error) {
	return appendRecords("VariableTunnelBuildReply", b, m.Records)
}

// Append appends the payload; it needs 1–8 records.
func (m *ShortTunnelBuild) Append(b []byte) ([]byte, error) {
	return appendShortRecords("ShortTunnelBuild", b, m.Records)
}

// Append appends the payload; it needs 1–8 records.
func (m *OutboundTunnelBuildReply) Append(b []byte) ([]byte, error) {
	return appendShortRecords("OutboundTunnelBuildReply", b, m.Records)
}

func parseFixedRecords(st string, b []byte, r *[8]BuildRecord) error {
	const want = 8 * BuildRecordLen
	switch {
	case len(b) < want:
		return perr(st, "", detail(ErrTruncated, "%d of %d bytes", len(b), want))
	case len(b) > want:
		return perr(st, "", detail(ErrTrailing, "%d bytes", len(b)-want))
	}
	for i := range r {
		r[i] = BuildRecord(b[i*BuildRecordLen:])
	}
	return nil
}

// recordCount checks the count byte and the length of a variable build
// message with records of size each.
func recordCount(st string, b []byte, size int) (int, error) {
	if len(b) < 1 {
		return 0, perr(st, "num", detail(ErrTruncated, "empty"))
	}
	n := int(b[0])
	if n < 1 || n > MaxBuildRecords {
		return 0, perr(st, "num", detail(ErrInvalid, "%d records, want 1–%d", n, MaxBuildRecords))
	}
	switch want := 1 + n*size; {
	case len(b) < want:
		return 0, perr(st, "records", detail(ErrTruncated, "%d records of %d bytes in %d bytes", n, size, len(b)-1))
	case len(b) > want:
		return 0, perr(st, "", detail(ErrTrailing, "%d bytes", len(b)-want))
	}
	return n, nil
}

func parseRecords(st string, b []byte) ([]BuildRecord, error) {
	n, err := recordCount(st, b, BuildRecordLen)
	if err != nil {
		return nil, err
	}
	r := make([]BuildRecord, n)
	for i := range r {
		r[i] = BuildRecord(b[1+i*BuildRecordLen:])
	}
	return r, nil
}

func parseShortRecords(st string, b []byte) ([]ShortBuildRecord, error) {
	n, err := recordCount(st, b, ShortBuildRecordLen)
	if err != nil {
		return nil, err
	}
	r := make([]ShortBuildRecord, n)
	for i := range r {
		r[i] = ShortBuildRecord(b[1+i*ShortBuildRecordLen:])
	}
	return r, nil
}

func appendFixed(b []byte, r *[8]BuildRecord) []byte {
	for i := range r {
		b = append(b, r[i][:]...)
	}
	return b
}

func checkCount(st string, n int) error {
	if n < 1 || n > MaxBuildRecords {
		return fmt.Errorf("i2np: %s: %d records, want 1–%d: %w", st, n, MaxBuildRecords, ErrInvalid)
	}
	return nil
}

func appendRecords(st string, b []byte, r []BuildRecord) ([]byte, error) {
	if err := checkCount(st, len(r)); err != nil {
		return b, err
	}
	b = append(b, byte(len(r)))
	for i := range r {
		b = append(b, r[i][:]...)
	}
	return b, nil
}

func appendShortRecords(st string, b []byte, r []ShortBuildRecord) ([]byte, error) {
	if err := checkCount(st, len(r)); err != nil {
		return b, err
	}
	b = append(b, byte(len(r)))
	for i := range r {
		b = append(b, r[i][:]...)
	}
	return b, nil
}
