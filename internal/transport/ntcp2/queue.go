package ntcp2

import "github.com/veil-i2p/veil/internal/transport"

// sendItem is one queued block: an I2NP message or a RouterInfo.
type sendItem struct {
	msg   *transport.Message
	ri    []byte // RouterInfo bytes, when msg is nil
	flood bool
}

// blockLen is the item's encoded size.
func (it *sendItem) blockLen() int {
	if it.msg != nil {
		return i2npBlockLen(it.msg)
	}
	return blockHeaderLen + 1 + len(it.ri)
}

func (it *sendItem) appendTo(b []byte) []byte {
	if it.msg != nil {
		return appendI2NP(b, it.msg)
	}
	return appendRouterInfo(b, it.ri, it.flood)
}

// itemLen is sendItem.blockLen for SendQueue.PopBatch.
func itemLen(it *sendItem) int { return it.blockLen() }
