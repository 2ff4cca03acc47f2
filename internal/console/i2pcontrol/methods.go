package i2pcontrol

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/console"
)

type handler func(ctx context.Context, p map[string]json.RawMessage) (map[string]any, *Error)

func (s *Server) methods() map[string]handler {
	return map[string]handler{
		"Echo":           s.echo,
		"GetRate":        s.getRate,
		"I2PControl":     s.i2pcontrol,
		"RouterInfo":     s.routerInfo,
		"RouterManager":  s.routerManager,
		"NetworkSetting": s.networkSetting,
	}
}

func (s *Server) echo(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	var v string
	if json.Unmarshal(p["Echo"], &v) != nil {
		return nil, errorf(CodeInvalidParams, "Invalid params: Echo wants a string in Echo.")
	}
	return map[string]any{"Result": v}, nil
}

// sampleSeconds is how far apart the router's bandwidth samples are
// (internal/router's ConsoleView samples every 5 s).
const sampleSeconds = 5

// getRate answers the bandwidth stats Java names (bytes per second,
// averaged over Period ms, at least one sample) and the transit tunnel
// count.
func (s *Server) getRate(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	var stat string
	var period float64
	if json.Unmarshal(p["Stat"], &stat) != nil || json.Unmarshal(p["Period"], &period) != nil || period <= 0 {
		return nil, errorf(CodeInvalidParams, "Invalid params: GetRate wants Stat (a string) and Period (ms, above 0).")
	}
	n := max(int(period/1000/sampleSeconds), 1)
	in, out := console.Average(s.rt.History(), n)
	var v float64
	switch stat {
	case "bw.recvRate", "bw.receiveBps", "bw.recvBps":
		v = in
	case "bw.sendRate", "bw.sendBps":
		v = out
	case "tunnel.participatingTunnels":
		v = float64(s.rt.Snapshot().Overview.Transit)
	default:
		return nil, errorf(CodeInvalidParams, "Invalid params: stat "+strconv.Quote(stat)+" is not kept by veil (it has bw.recvRate, bw.sendRate, tunnel.participatingTunnels).")
	}
	return map[string]any{"Result": v}, nil
}

// i2pcontrol changes the password (not saved: like i2pd, set
// i2pcontrol.password in the file to keep it); every token is revoked.
func (s *Server) i2pcontrol(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	out := map[string]any{"SettingsSaved": false, "RestartNeeded": false}
	for k, raw := range p {
		switch k {
		case "Token":
		case "i2pcontrol.password":
			var pw string
			if json.Unmarshal(raw, &pw) != nil || pw == "" {
				return nil, errorf(CodeInvalidParams, "Invalid params: i2pcontrol.password wants a non-empty string.")
			}
			s.mu.Lock()
			s.password = pw
			clear(s.tokens)
			s.mu.Unlock()
			s.log.Warn("i2pcontrol: password changed (until restart: set i2pcontrol.password in the config file to keep it)")
			out[k], out["SettingsSaved"] = nil, true
		case "i2pcontrol.address", "i2pcontrol.port":
			return nil, errorf(CodeInvalidParams, "Invalid params: "+k+" cannot change while running; set it in the config file.")
		}
	}
	return out, nil
}

// Status numbers of i2p.router.net.status (spec: 0 OK, 1 TESTING,
// 2 FIREWALLED).
func netStatus(s string) int {
	switch s {
	case "ok":
		return 0
	case "firewalled":
		return 2
	}
	return 1
}

// routerInfo answers the keys asked for; unknown keys are left out, as
// i2pd does. Types follow i2pd: counts and rates are numbers,
// i2p.router.status a string.
func (s *Server) routerInfo(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	snap := s.rt.Snapshot()
	o := snap.Overview
	hist := s.rt.History()
	in1, out1 := console.Average(hist, 1)
	in15, out15 := console.Average(hist, 15/sampleSeconds)
	ready, reseeding := false, false
	for i, st := range snap.Bootstrap {
		if i == 0 {
			reseeding = !st.Done
		}
		if st.Name == "First tunnels" {
			ready = st.Done
		}
	}
	success := 0
	if o.BuildSuccess != nil {
		success = int(math.Round(*o.BuildSuccess * 100))
	}
	status := "0"
	if ready {
		status = "1"
	}
	values := map[string]any{
		"i2p.router.uptime":                    o.Uptime.Milliseconds(),
		"i2p.router.version":                   o.Version,
		"i2p.router.status":                    status,
		"i2p.router.netdb.knownpeers":          o.PeersKnown,
		"i2p.router.netdb.activepeers":         o.PeersActive,
		"i2p.router.netdb.fastpeers":           o.PeersActive, // veil has no speed tiers yet: peers in use
		"i2p.router.netdb.highcapacitypeers":   o.PeersActive,
		"i2p.router.netdb.isreseeding":         reseeding,
		"i2p.router.net.bw.inbound.1s":         round2(in1),
		"i2p.router.net.bw.inbound.15s":        round2(in15),
		"i2p.router.net.bw.outbound.1s":        round2(out1),
		"i2p.router.net.bw.outbound.15s":       round2(out15),
		"i2p.router.net.status":                netStatus(o.Status),
		"i2p.router.net.tunnels.participating": o.Transit,
		"i2p.router.net.tunnels.successrate":   success,
		"i2p.router.net.total.received.bytes":  float64(o.BytesIn),
		"i2p.router.net.total.sent.bytes":      float64(o.BytesOut),
	}
	out := map[string]any{}
	for k := range p {
		if v, ok := values[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// routerManager stops the router for Shutdown (now, closing sessions
// cleanly) and ShutdownGraceful (as i2pd: no new transit tunnels, stop
// when those carried have ended, when the router can), and restarts it
// for Restart and RestartGraceful when it can (the veil command). Reseed
// is refused.
func (s *Server) routerManager(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	out := map[string]any{}
	stop, restart, graceful := false, false, false
	for k := range p {
		switch k {
		case "Token":
		case "Shutdown":
			out[k], stop = nil, true
		case "ShutdownGraceful":
			out[k], graceful = nil, true
		case "Restart", "RestartGraceful":
			if r, ok := s.rt.(console.Restarter); !ok || !r.CanRestart() {
				return nil, errorf(CodeInvalidParams, "Invalid params: "+k+": this router cannot restart itself.")
			}
			out[k], restart = nil, true
		case "Reseed":
			return nil, errorf(CodeInvalidParams, "Invalid params: Reseed is not supported by veil while it runs.")
		}
	}
	g, canGrace := s.rt.(console.GracefulStopper)
	switch {
	case graceful && !stop && canGrace:
		s.log.Warn("i2pcontrol: graceful shutdown requested")
		g.ShutdownGraceful()
	case stop || graceful:
		s.log.Warn("i2pcontrol: shutdown requested")
		s.rt.Shutdown()
	case restart:
		s.log.Warn("i2pcontrol: restart requested")
		s.rt.(console.Restarter).Restart()
	}
	return out, nil
}

// Bandwidth classes in KB/s (i2pd's bandwidth letters); X is unlimited.
var classKBps = map[string]int{"K": 12, "L": 48, "M": 64, "N": 128, "O": 256, "P": 2048, "X": 1 << 20}

// limitKBps is the bandwidth limit of settings in KB/s.
func limitKBps(set console.Settings) int {
	b := set.Bandwidth
	if b == "" {
		b = "L"
		if set.Floodfill {
			b = "X"
		}
	}
	if n, ok := classKBps[b]; ok {
		return n
	}
	n, _ := strconv.Atoi(b)
	return n
}

// networkSetting reads and sets i2p.router.net.bw.in, .bw.out (one limit
// in veil, as in i2pd: KB/s) and .bw.share (percent). A value sets, null
// reads; changes are saved to the configuration file and used from the
// next start.
func (s *Server) networkSetting(_ context.Context, p map[string]json.RawMessage) (map[string]any, *Error) {
	set := s.rt.Settings()
	orig := set
	out := map[string]any{}
	asked := []string{}
	for k, raw := range p {
		switch k {
		case "i2p.router.net.bw.in", "i2p.router.net.bw.out", "i2p.router.net.bw.share":
		default:
			continue // unknown settings are left out, as i2pd does
		}
		asked = append(asked, k)
		v, isNull, ok := intParam(raw)
		if !ok {
			return nil, errorf(CodeInvalidParams, "Invalid params: "+k+" wants a number (or null to read it).")
		}
		if isNull {
			continue
		}
		if k == "i2p.router.net.bw.share" {
			if v < 0 || v > 100 {
				return nil, errorf(CodeInvalidParams, "Invalid params: i2p.router.net.bw.share is a percentage, 0 to 100.")
			}
			set.Share = v
		} else {
			if v <= 0 || v >= 1<<30 {
				return nil, errorf(CodeInvalidParams, "Invalid params: "+k+" is KB/s, above 0.")
			}
			set.Bandwidth = strconv.Itoa(v)
		}
	}
	saved := set != orig
	if saved {
		if err := s.rt.SaveSettings(set); err != nil {
			return nil, errorf(CodeInternal, "Internal error: "+err.Error())
		}
	}
	for _, k := range asked {
		if k == "i2p.router.net.bw.share" {
			out[k] = strconv.Itoa(set.Share) // a string, as the spec has it
		} else {
			out[k] = limitKBps(set) // a number, as i2pd answers
		}
	}
	out["SettingsSaved"], out["RestartNeeded"] = saved, saved
	return out, nil
}

// intParam reads a setting's value: a number, a string holding one, or
// null.
func intParam(raw json.RawMessage) (v int, isNull, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, true, true
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int(f), false, f == math.Trunc(f) && math.Abs(f) < 1<<31
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return 0, false, false
	}
	if str = strings.TrimSpace(str); str == "null" {
		return 0, true, true
	}
	n, err := strconv.Atoi(str)
	return n, false, err == nil
}
