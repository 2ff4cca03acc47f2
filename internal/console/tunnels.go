package console

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// The I2P tunnels page's forms: a new (or changed) tunnel, stop, start.
// The Router does the work when it implements TunnelManager.

// Tunnel types the form makes (tunnels.conf's type values).
const (
	TunnelClient = "client"
	TunnelServer = "server"
	TunnelHTTP   = "http"
)

// CheckTunnel validates a tunnel form: a name usable as a section
// header and keys file name, a known type, ports in range, a service
// address, a client's destination.
func CheckTunnel(s TunnelSpec) error {
	if s.Name == "" || len(s.Name) > 64 || strings.IndexFunc(s.Name, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 || strings.HasPrefix(s.Name, ".") {
		return errors.New("name: 1 to 64 letters, digits, '-', '_' or '.' (not first)")
	}
	if s.Port < 1 || s.Port > 65535 {
		return errors.New("port: 1 to 65535")
	}
	if s.Hops < 0 || s.Hops > 7 {
		return errors.New("hops: 0 to 7")
	}
	switch s.Type {
	case TunnelServer, TunnelHTTP:
		if _, err := netip.ParseAddr(s.Host); err != nil && s.Host != "localhost" {
			return errors.New("host: the service's IP address (such as 127.0.0.1)")
		}
	case TunnelClient:
		if s.Destination == "" || strings.ContainsAny(s.Destination, " \t\r\n#[]=") || len(s.Destination) > 1024 {
			return errors.New("destination: a ….b32.i2p address, a name or a Base64 destination")
		}
		if s.DestinationPort < 0 || s.DestinationPort > 65535 {
			return errors.New("destination port: 0 to 65535")
		}
	default:
		return errors.New("type: client, server or http")
	}
	return nil
}

// TunnelSection is spec as tunnels.conf lines (i2pd's keys). A server
// keeps its keys in <name>.dat in the data folder, so its address stays;
// a client's destination is transient.
func TunnelSection(s TunnelSpec) []string {
	lines := []string{"type = " + s.Type}
	switch s.Type {
	case TunnelClient:
		lines = append(lines, "address = 127.0.0.1", "port = "+strconv.Itoa(s.Port), "destination = "+s.Destination)
		if s.DestinationPort != 0 {
			lines = append(lines, "destinationport = "+strconv.Itoa(s.DestinationPort))
		}
		lines = append(lines, "keys = transient")
	default:
		lines = append(lines, "host = "+s.Host, "port = "+strconv.Itoa(s.Port), "keys = "+s.Name+".dat")
	}
	h := strconv.Itoa(s.Hops)
	return append(lines, "inbound.length = "+h, "outbound.length = "+h)
}

// WriteTunnelSection replaces section name of the tunnels.conf at path
// with lines (or appends it), keeping everything else; atomically.
func WriteTunnelSection(path, name string, lines []string) error {
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("console: read %s: %w", path, err)
	case len(old) > maxConfFile:
		return fmt.Errorf("console: %s is larger than %d bytes; not editing it", path, maxConfFile)
	}
	var out []string
	in := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	if len(old) == 0 {
		in = nil
	}
	skipping, replaced := false, false
	for _, l := range in {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			skipping = strings.TrimSpace(t[1:len(t)-1]) == name
			if skipping {
				out = append(out, "["+name+"]")
				out = append(out, lines...)
				replaced = true
				continue
			}
		}
		if !skipping {
			out = append(out, l)
		}
	}
	if !replaced {
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, "")
		}
		out = append(append(out, "["+name+"]"), lines...)
	}
	if err := atomicfile.Write(path, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("console: save %s: %w", path, err)
	}
	return nil
}

// parseTunnelForm reads the new-tunnel form.
func parseTunnelForm(req *http.Request) (TunnelSpec, error) {
	num := func(k string, def int) (int, error) {
		v := strings.TrimSpace(req.PostFormValue(k))
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s: a number", k)
		}
		return n, nil
	}
	s := TunnelSpec{
		Name:        strings.TrimSpace(req.PostFormValue("name")),
		Type:        req.PostFormValue("type"),
		Host:        strings.TrimSpace(req.PostFormValue("host")),
		Destination: strings.TrimSpace(req.PostFormValue("destination")),
	}
	var err error
	if s.Port, err = num("port", 0); err != nil {
		return s, err
	}
	if s.DestinationPort, err = num("destinationport", 0); err != nil {
		return s, err
	}
	if s.Hops, err = num("hops", 3); err != nil {
		return s, err
	}
	if s.Host == "" {
		s.Host = "127.0.0.1"
	}
	return s, CheckTunnel(s)
}

func (s *Server) tunnelManager() TunnelManager {
	m, _ := s.rt.(TunnelManager)
	return m
}

// tunnels renders the I2P tunnels page; msg and errMsg report the last
// action.
func (s *Server) tunnels(w http.ResponseWriter, code int, spec TunnelSpec, msg, errMsg string) {
	v := view{Page: "i2ptunnels", Snap: s.rt.Snapshot(), Err: errMsg, Msg: msg, Spec: spec, CanManage: s.tunnelManager() != nil}
	s.render(w, code, v)
}

// i2ptunnels shows the page; ?edit=NAME fills the form with a managed
// tunnel's settings.
func (s *Server) i2ptunnels(w http.ResponseWriter, req *http.Request) {
	spec := TunnelSpec{Type: TunnelServer, Host: "127.0.0.1", Hops: 3}
	if name := req.FormValue("edit"); name != "" {
		for _, t := range s.rt.Snapshot().I2PTunnels {
			if t.Managed && t.Name == name {
				spec = t.Spec
			}
		}
	}
	s.tunnels(w, http.StatusOK, spec, "", "")
}

// tunnelAction handles POST /i2ptunnels/{action}: new, stop, start.
func (s *Server) tunnelAction(w http.ResponseWriter, req *http.Request) {
	if !s.postOK(w, req) {
		return
	}
	m := s.tunnelManager()
	if m == nil {
		http.Error(w, "console: this router cannot change tunnels while it runs", http.StatusNotImplemented)
		return
	}
	name := req.PostFormValue("name")
	var (
		spec    TunnelSpec
		err     error
		msg     string
		started bool
	)
	switch req.PathValue("action") {
	case "new":
		if spec, err = parseTunnelForm(req); err == nil {
			if started, err = m.SaveTunnel(spec); err == nil {
				msg = "Tunnel " + spec.Name + " saved to tunnels.conf and started."
				if !started {
					msg = "Tunnel " + spec.Name + " saved to tunnels.conf; the router uses it from its next start."
				}
			}
		}
	case "stop":
		if err = m.StopTunnel(name); err == nil {
			msg = "Tunnel " + name + " stopped."
		}
	case "start":
		if err = m.StartTunnel(name); err == nil {
			msg = "Tunnel " + name + " started."
		}
	default:
		http.NotFound(w, req)
		return
	}
	if err != nil {
		s.tunnels(w, http.StatusBadRequest, spec, "", err.Error())
		return
	}
	s.log.Info("console: " + msg)
	s.tunnels(w, http.StatusOK, TunnelSpec{Type: TunnelServer, Host: "127.0.0.1", Hops: 3}, msg, "")
}
