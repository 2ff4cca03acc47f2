package i2np

import "strconv"

// Message types (i2np.rst, "Messages"). 0 is reserved, 224–254 are for
// experiments, 255 for future expansion.
const (
	TypeDatabaseStore            uint8 = 1
	TypeDatabaseLookup           uint8 = 2
	TypeDatabaseSearchReply      uint8 = 3
	TypeDeliveryStatus           uint8 = 10
	TypeGarlic                   uint8 = 11
	TypeTunnelData               uint8 = 18
	TypeTunnelGateway            uint8 = 19
	TypeData                     uint8 = 20
	TypeTunnelBuild              uint8 = 21 // deprecated
	TypeTunnelBuildReply         uint8 = 22 // deprecated
	TypeVariableTunnelBuild      uint8 = 23 // 0.7.12
	TypeVariableTunnelBuildReply uint8 = 24 // 0.7.12
	TypeShortTunnelBuild         uint8 = 25 // 0.9.51
	TypeOutboundTunnelBuildReply uint8 = 26 // 0.9.51
)

// typeNames is written only at init.
var typeNames = map[uint8]string{
	TypeDatabaseStore:            "DatabaseStore",
	TypeDatabaseLookup:           "DatabaseLookup",
	TypeDatabaseSearchReply:      "DatabaseSearchReply",
	TypeDeliveryStatus:           "DeliveryStatus",
	TypeGarlic:                   "Garlic",
	TypeTunnelData:               "TunnelData",
	TypeTunnelGateway:            "TunnelGateway",
	TypeData:                     "Data",
	TypeTunnelBuild:              "TunnelBuild",
	TypeTunnelBuildReply:         "TunnelBuildReply",
	TypeVariableTunnelBuild:      "VariableTunnelBuild",
	TypeVariableTunnelBuildReply: "VariableTunnelBuildReply",
	TypeShortTunnelBuild:         "ShortTunnelBuild",
	TypeOutboundTunnelBuildReply: "OutboundTunnelBuildReply",
}

// TypeName names a message type for logs: "DatabaseStore", or "type 99"
// for numbers the spec does not define.
func TypeName(t uint8) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(t))
}

// KnownType reports whether the spec defines message type t.
func KnownType(t uint8) bool {
	_, ok := typeNames[t]
	return ok
}
