package torrent

import (
	"fmt"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// DefaultPieceLength is the piece size of new torrents: 256 KiB, as
// I2PSnark uses for files of a few hundred megabytes.
const DefaultPieceLength = 256 << 10

// Create makes the torrent of the file or folder at path, announced to
// trackers (http://….i2p/announce URLs; the first is the main one).
// Every piece is hashed, so it takes as long as reading path.
func Create(path string, trackers []string, pieceLength int64) (*metainfo.MetaInfo, error) {
	if pieceLength <= 0 {
		pieceLength = DefaultPieceLength
	}
	for _, tr := range trackers {
		if _, err := trackerURL(tr, announceRequest{}); err != nil {
			return nil, fmt.Errorf("torrent: %w", err)
		}
	}
	info := metainfo.Info{PieceLength: pieceLength}
	if err := info.BuildFromFilePath(path); err != nil {
		return nil, fmt.Errorf("torrent: %s: %w", path, err)
	}
	b, err := bencode.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("torrent: %w", err)
	}
	mi := &metainfo.MetaInfo{InfoBytes: b, CreatedBy: "veil-torrent", CreationDate: time.Now().Unix()}
	if len(trackers) > 0 {
		mi.Announce = trackers[0]
		mi.AnnounceList = metainfo.AnnounceList{trackers}
	}
	return mi, nil
}
