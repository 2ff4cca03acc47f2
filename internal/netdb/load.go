package netdb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

const (
	filePrefix = "routerInfo-"
	fileSuffix = ".dat"
)

// LoadStats says what Load found.
type LoadStats struct {
	Loaded  int // RouterInfos now in the store
	Removed int // invalid or too old: deleted, as i2pd does
	Skipped int // valid but not loaded: ours, a duplicate, or the store was full
}

// Load reads every r<c>/routerInfo-<hash>.dat under the folder, as i2pd
// 2.45.1 does at start (NetDb::Load): a file that does not parse, whose
// signature or network id is wrong, whose name is not its hash, that has
// no NTCP2/SSU2 address or was published more than MaxAgeOnLoad ago is
// deleted. Files with other names are left alone. A folder that does not
// exist is empty. Load may be called on a store in use; entries it reads
// replace older ones only.
func (s *Store) Load() (LoadStats, error) {
	var st LoadStats
	if s.cfg.Dir == "" {
		return st, nil
	}
	subdirs, err := os.ReadDir(s.cfg.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("netdb: load: %w", err)
	}
	for _, d := range subdirs {
		if !d.IsDir() || len(d.Name()) != 2 || d.Name()[0] != 'r' {
			continue
		}
		dir := filepath.Join(s.cfg.Dir, d.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return st, fmt.Errorf("netdb: load: %w", err)
		}
		for _, f := range files {
			name := f.Name()
			if !f.Type().IsRegular() || !strings.HasPrefix(name, filePrefix) || !strings.HasSuffix(name, fileSuffix) {
				continue
			}
			s.loadFile(filepath.Join(dir, name), strings.TrimSuffix(strings.TrimPrefix(name, filePrefix), fileSuffix), &st)
		}
	}
	s.log.Info("netdb loaded", "routers", s.Len(), "floodfills", s.Floodfills(),
		"removed", st.Removed, "skipped", st.Skipped, "dir", s.cfg.Dir)
	return st, nil
}

// loadFile loads one file, deleting it when it is invalid.
func (s *Store) loadFile(path, name string, st *LoadStats) {
	ri, err := s.readFile(path, name)
	switch {
	case errors.Is(err, ErrSelf):
		st.Skipped++
		return
	case err != nil && !invalid(err):
		s.log.Warn("netdb: cannot read RouterInfo", "file", path, "err", err)
		st.Skipped++
		return
	case err != nil:
		s.log.Warn("netdb: invalid or too old RouterInfo, deleting", "file", path, "err", err)
		s.writeMu.Lock()
		rerr := os.Remove(path)
		s.writeMu.Unlock()
		if rerr != nil {
			s.log.Warn("netdb: delete", "file", path, "err", rerr)
			return
		}
		st.Removed++
		return
	}
	h := ri.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.routers[h]
	switch {
	case ok && old.Published >= ri.Published:
		st.Skipped++
	case !ok && len(s.routers) >= s.cfg.MaxRouters:
		st.Skipped++
	default:
		s.setLocked(h, old, ri)
		st.Loaded++
	}
}

// invalid reports whether err condemns a file (as opposed to an I/O error).
func invalid(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrNetID) || errors.Is(err, ErrTooOld) || errors.Is(err, ErrTooLarge)
}

// readFile reads and checks one RouterInfo file named by its hash.
func (s *Store) readFile(path, name string) (*data.RouterInfo, error) {
	want, err := data.ParseHashBase64(name)
	if err != nil {
		return nil, fmt.Errorf("%w: file name: %v", ErrInvalid, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxRouterInfoLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if ri.Hash() != want {
		return nil, fmt.Errorf("%w: file name is not its hash %s", ErrInvalid, ri.Hash())
	}
	if err := s.Check(ri, MaxAgeOnLoad); err != nil {
		if errors.Is(err, ErrFuture) {
			return ri, nil // the clock may have moved; i2pd keeps these at load
		}
		return nil, err
	}
	return ri, nil
}
