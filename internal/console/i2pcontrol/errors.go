package i2pcontrol

// Error is a JSON-RPC error object.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// The spec's error codes: JSON-RPC 2.0's, then I2PControl's own.
const (
	CodeParse          = -32700
	CodeInvalidRequest = -32600
	CodeNoMethod       = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603

	CodeBadPassword   = -32001
	CodeNoToken       = -32002
	CodeUnknownToken  = -32003
	CodeExpiredToken  = -32004
	CodeNoAPIVersion  = -32005
	CodeBadAPIVersion = -32006
)

func errorf(code int, msg string) *Error { return &Error{Code: code, Message: msg} }

var (
	errParse        = errorf(CodeParse, "JSON parse error.")
	errInvalid      = errorf(CodeInvalidRequest, "Invalid request.")
	errNoMethod     = errorf(CodeNoMethod, "Method not found.")
	errBadPassword  = errorf(CodeBadPassword, "Invalid password provided.")
	errNoToken      = errorf(CodeNoToken, "No authentication token presented.")
	errUnknownToken = errorf(CodeUnknownToken, "Authentication token doesn't exist.")
	errExpiredToken = errorf(CodeExpiredToken, "Provided authentication token was expired and will be removed.")
	errNoAPI        = errorf(CodeNoAPIVersion, "The version of the I2PControl API wasn't specified, but is required to be specified.")
	errBadAPI       = errorf(CodeBadAPIVersion, "The version of the I2PControl API specified is not supported by I2PControl.")
)
