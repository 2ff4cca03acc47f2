package i2np

import (
	"time"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/data"
)

// Generators of valid messages for round trips and fuzz seeds.

func genHash(t *rapid.T, label string) data.Hash {
	var h data.Hash
	copy(h[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, label))
	return h
}

func genHashes(t *rapid.T, label string, max int) []data.Hash {
	n := rapid.IntRange(0, max).Draw(t, label+" count")
	if n == 0 {
		return nil
	}
	hs := make([]data.Hash, n)
	for i := range hs {
		hs[i][0], hs[i][31] = byte(i), rapid.Byte().Draw(t, label)
		hs[i][7] = byte(i >> 8)
	}
	return hs
}

func genLookup(t *rapid.T) *DatabaseLookup {
	m := &DatabaseLookup{
		Key:         genHash(t, "key"),
		From:        genHash(t, "from"),
		ReplyTunnel: data.TunnelID(rapid.SampledFrom([]uint32{0, 1, 0xffffffff}).Draw(t, "tunnel")),
		Lookup:      LookupType(rapid.IntRange(0, 3).Draw(t, "lookup")),
		Excluded:    genHashes(t, "excluded", MaxExcludedPeers),
		Encryption:  ReplyEncryption(rapid.IntRange(0, 2).Draw(t, "enc")),
	}
	switch m.Encryption {
	case ReplyElGamal:
		m.ReplyKey = data.SessionKey(genHash(t, "reply key"))
		m.ElGamalTags = make([]data.SessionTag, rapid.IntRange(1, MaxElGamalTags).Draw(t, "tags"))
		for i := range m.ElGamalTags {
			m.ElGamalTags[i][0] = byte(i + 1)
		}
	case ReplyECIES:
		m.ReplyKey = data.SessionKey(genHash(t, "reply key"))
		copy(m.RatchetTag[:], rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "tag"))
	}
	return m
}

func genBuildRecords(t *rapid.T, n int) []BuildRecord {
	r := make([]BuildRecord, n)
	for i := range r {
		r[i][0], r[i][BuildRecordLen-1] = byte(i), rapid.Byte().Draw(t, "rec")
	}
	return r
}

func genShortRecords(t *rapid.T, n int) []ShortBuildRecord {
	r := make([]ShortBuildRecord, n)
	for i := range r {
		r[i][0], r[i][ShortBuildRecordLen-1] = byte(i), rapid.Byte().Draw(t, "rec")
	}
	return r
}

// genMessage draws a valid message of any type.
func genMessage(t *rapid.T) Message {
	switch typ := rapid.SampledFrom(allTypes()).Draw(t, "type"); typ {
	case TypeDatabaseStore:
		m := &DatabaseStore{
			Key:        genHash(t, "key"),
			Type:       rapid.SampledFrom([]StoreType{StoreRouterInfo, StoreLeaseSet, StoreLeaseSet2, StoreEncryptedLeaseSet, StoreMetaLeaseSet}).Draw(t, "store"),
			ReplyToken: rapid.SampledFrom([]uint32{0, 9}).Draw(t, "token"),
			Data:       rapid.SliceOfN(rapid.Byte(), 1, 500).Draw(t, "data"),
		}
		if m.ReplyToken != 0 {
			m.ReplyTunnel, m.ReplyGateway = 3, genHash(t, "gw")
		}
		return m
	case TypeDatabaseLookup:
		return genLookup(t)
	case TypeDatabaseSearchReply:
		return &DatabaseSearchReply{Key: genHash(t, "key"), Peers: genHashes(t, "peers", MaxSearchReplyPeers), From: genHash(t, "from")}
	case TypeDeliveryStatus:
		return &DeliveryStatus{MsgID: rapid.Uint32().Draw(t, "id"), Timestamp: time.UnixMilli(rapid.Int64Range(1, 1<<50).Draw(t, "ms"))}
	case TypeGarlic:
		return &Garlic{Body: rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "body")}
	case TypeData:
		return &Data{Payload: rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "payload")}
	case TypeTunnelData:
		var d [TunnelDataLen]byte
		copy(d[:], rapid.SliceOfN(rapid.Byte(), 0, TunnelDataLen).Draw(t, "data"))
		return &TunnelData{TunnelID: data.TunnelID(rapid.Uint32Range(1, 1<<32-1).Draw(t, "tunnel")), Data: &d}
	case TypeTunnelGateway:
		inner, _ := AppendStandard(nil, Header{Type: TypeData, ID: rapid.Uint32().Draw(t, "id"), Expiration: time.UnixMilli(1e12)},
			rapid.SliceOfN(rapid.Byte(), 0, 2000).Draw(t, "inner"))
		return &TunnelGateway{TunnelID: data.TunnelID(rapid.Uint32Range(1, 1<<32-1).Draw(t, "tunnel")), Message: inner}
	case TypeTunnelBuild:
		m := &TunnelBuild{}
		copy(m.Records[:], genBuildRecords(t, 8))
		return m
	case TypeTunnelBuildReply:
		m := &TunnelBuildReply{}
		copy(m.Records[:], genBuildRecords(t, 8))
		return m
	case TypeVariableTunnelBuild:
		return &VariableTunnelBuild{Records: genBuildRecords(t, rapid.IntRange(1, 8).Draw(t, "n"))}
	case TypeVariableTunnelBuildReply:
		return &VariableTunnelBuildReply{Records: genBuildRecords(t, rapid.IntRange(1, 8).Draw(t, "n"))}
	case TypeShortTunnelBuild:
		return &ShortTunnelBuild{Records: genShortRecords(t, rapid.IntRange(1, 8).Draw(t, "n"))}
	case TypeOutboundTunnelBuildReply:
		return &OutboundTunnelBuildReply{Records: genShortRecords(t, rapid.IntRange(1, 8).Draw(t, "n"))}
	default:
		panic(typ)
	}
}

func allTypes() []uint8 {
	var ts []uint8
	for i := range 256 {
		if KnownType(uint8(i)) {
			ts = append(ts, uint8(i))
		}
	}
	return ts
}
