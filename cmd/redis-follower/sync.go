package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/sentinel"
)

// sentinelConfig builds the Sentinel configuration from the flags (nil
// without --sentinel).
func sentinelConfig(c *cli.Context) (*sentinel.Config, error) {
	addrs, name := c.String("sentinel"), c.String("sentinel-master")
	if addrs == "" {
		if name != "" {
			return nil, usagef("--sentinel-master needs --sentinel")
		}
		return nil, nil
	}
	cfg := &sentinel.Config{Master: name, Username: c.String("sentinel-user")}
	for _, a := range strings.Split(addrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Addrs = append(cfg.Addrs, a)
		}
	}
	cfg.Password = os.Getenv("REDIS_FOLLOWER_SENTINEL_PASSWORD")
	if f := c.String("sentinel-password-file"); f != "" {
		p, err := readPasswordFile(f)
		if err != nil {
			return nil, usagef("--sentinel-password-file: %v", err)
		}
		cfg.Password = p
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// parseSize parses a byte size: a number with an optional unit (B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB; all binary multiples).
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 256MiB)", s)
	}
	return n * mult, nil
}

func syncCommand() *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "replicate a master into the data directory and keep following it",
		ArgsUsage: "REDIS_URL",
		Description: "REDIS_URL is redis://[user[:password]@]host:port (rediss:// for TLS); it can also come from\n" +
			"REDIS_FOLLOWER_URL. Prefer --password-file or REDIS_FOLLOWER_PASSWORD to a password in the URL:\n" +
			"command lines are visible to every user of the machine (ps).\n\n" +
			"DIR holds dump.rdb (a Redis-loadable RDB with repl-id, repl-offset and repl-stream-db) and journal/\n" +
			"(the raw replication stream received since, fsynced per --fsync). After a crash or kill -9 the next\n" +
			"start replays the journal and resumes with a partial resync. SIGINT/SIGTERM stop cleanly and, unless\n" +
			"--snapshot-on-stop=false, write a fresh dump.rdb so that it alone holds the dataset.\n\n" +
			"With --sentinel, REDIS_URL is optional (its host is ignored; user, password and rediss:// apply to\n" +
			"whichever master the sentinels name) and the follower follows the master across failovers.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "./follower-data", Usage: "data directory (snapshot `DIR`/dump.rdb)", EnvVars: []string{"REDIS_FOLLOWER_DIR"}},
			&cli.StringFlag{Name: "user", Usage: "ACL user (overrides the URL's)", EnvVars: []string{"REDIS_FOLLOWER_USER"}},
			&cli.StringFlag{Name: "password-file", Usage: "read the password from `FILE` (first line)", EnvVars: []string{"REDIS_FOLLOWER_PASSWORD_FILE"}},
			&cli.StringFlag{Name: "tls-ca", Usage: "CA certificate `FILE` to verify the master (TLS)", EnvVars: []string{"REDIS_FOLLOWER_TLS_CA"}},
			&cli.StringFlag{Name: "tls-cert", Usage: "client certificate `FILE` (TLS)", EnvVars: []string{"REDIS_FOLLOWER_TLS_CERT"}},
			&cli.StringFlag{Name: "tls-key", Usage: "client key `FILE` (TLS)", EnvVars: []string{"REDIS_FOLLOWER_TLS_KEY"}},
			&cli.BoolFlag{Name: "tls-insecure", Usage: "do not verify the master's certificate (TLS)", EnvVars: []string{"REDIS_FOLLOWER_TLS_INSECURE"}},
			&cli.StringFlag{Name: "tls-server-name", Usage: "server name to verify (default: the URL's host)", EnvVars: []string{"REDIS_FOLLOWER_TLS_SERVER_NAME"}},
			&cli.StringFlag{Name: "on-unknown", Value: "stop", Usage: "what to do with a command the follower cannot apply: stop or skip", EnvVars: []string{"REDIS_FOLLOWER_ON_UNKNOWN"}},
			&cli.BoolFlag{Name: "decoy", Value: true, Usage: "listen on the announced port and refuse promotion, so that a master running FAILOVER without TO that picks the follower aborts at once instead of staying paused (--decoy=false: do not listen)", EnvVars: []string{"REDIS_FOLLOWER_DECOY"}},
			&cli.StringFlag{Name: "decoy-listen", Usage: "address the decoy listens on (default: all interfaces, the --announce-port, or an ephemeral port that is then announced)", EnvVars: []string{"REDIS_FOLLOWER_DECOY_LISTEN"}},
			&cli.IntFlag{Name: "announce-port", Value: 0, Usage: "port announced with REPLCONF listening-port (shown in the master's INFO)", EnvVars: []string{"REDIS_FOLLOWER_ANNOUNCE_PORT"}},
			&cli.StringFlag{Name: "announce-ip", Usage: "IP announced with REPLCONF ip-address", EnvVars: []string{"REDIS_FOLLOWER_ANNOUNCE_IP"}},
			&cli.StringFlag{Name: "replconf-version", Value: "9.0.0", Usage: "version announced with REPLCONF version (Valkey 9 then sends RDB 80); empty to omit", EnvVars: []string{"REDIS_FOLLOWER_REPLCONF_VERSION"}},
			&cli.StringFlag{Name: "fsync", Value: "everysec", Usage: "when journal writes are forced to disk: always, everysec or no", EnvVars: []string{"REDIS_FOLLOWER_FSYNC"}},
			&cli.StringFlag{Name: "compact-size", Value: "256MiB", Usage: "write a fresh snapshot once the journal holds this much applied stream (e.g. 64MiB, 1GiB)", EnvVars: []string{"REDIS_FOLLOWER_COMPACT_SIZE"}},
			&cli.BoolFlag{Name: "compact-pause", Usage: "write snapshots from the live store, pausing applying meanwhile, instead of rebuilding them in the background (which needs memory for a second copy of the dataset)", EnvVars: []string{"REDIS_FOLLOWER_COMPACT_PAUSE"}},
			&cli.DurationFlag{Name: "compact-age", Value: time.Hour, Usage: "write a fresh snapshot when the last one is older than this and anything changed (0: never by age)", EnvVars: []string{"REDIS_FOLLOWER_COMPACT_AGE"}},
			&cli.BoolFlag{Name: "snapshot-on-stop", Value: true, Usage: "on SIGINT/SIGTERM write dump.rdb so it alone is the dataset (false: stop faster, the next start replays the journal)", EnvVars: []string{"REDIS_FOLLOWER_SNAPSHOT_ON_STOP"}},
			&cli.StringFlag{Name: "sentinel", Usage: "discover the master through Redis Sentinel at `HOST:PORT[,HOST:PORT...]`", EnvVars: []string{"REDIS_FOLLOWER_SENTINEL"}},
			&cli.StringFlag{Name: "sentinel-master", Usage: "the `NAME` the sentinels monitor the master under", EnvVars: []string{"REDIS_FOLLOWER_SENTINEL_MASTER"}},
			&cli.StringFlag{Name: "sentinel-user", Usage: "ACL user for the sentinels", EnvVars: []string{"REDIS_FOLLOWER_SENTINEL_USER"}},
			&cli.StringFlag{Name: "sentinel-password-file", Usage: "read the sentinels' password from `FILE` (or REDIS_FOLLOWER_SENTINEL_PASSWORD)", EnvVars: []string{"REDIS_FOLLOWER_SENTINEL_PASSWORD_FILE"}},
			&cli.DurationFlag{Name: "idle-timeout", Value: 60 * time.Second, Usage: "reconnect when the master sends nothing for this long", EnvVars: []string{"REDIS_FOLLOWER_IDLE_TIMEOUT"}},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"REDIS_FOLLOWER_LOG_FORMAT"}},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"REDIS_FOLLOWER_LOG_LEVEL"}},
		},
		Action: runSync,
	}
}

// masterURL is a parsed REDIS_URL.
type masterURL struct {
	addr, host   string
	user, pass   string
	tls          bool
	passInURL    bool
	redactedForm string
}

func parseMasterURL(raw string) (*masterURL, error) { return parseURL(raw, false) }

// parseURL parses REDIS_URL; with sentinel the host may be left out.
func parseURL(raw string, sentinel bool) (*masterURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("REDIS_URL is not a URL (want redis://[user[:password]@]host:port)")
	}
	m := &masterURL{}
	switch u.Scheme {
	case "redis":
	case "rediss":
		m.tls = true
	default:
		return nil, usagef("REDIS_URL scheme %q is not redis:// or rediss://", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" && !sentinel {
		return nil, usagef("REDIS_URL has no host")
	}
	if port == "" {
		port = "6379"
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return nil, usagef("REDIS_URL port %q is not a TCP port", port)
	}
	m.host, m.addr = host, net.JoinHostPort(host, port)
	if host == "" {
		m.addr = ""
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, m.passInURL = u.User.Password()
		if !m.passInURL && m.user != "" {
			// redis://password@host is a common shorthand for the default user.
			m.pass, m.user, m.passInURL = m.user, "", true
		}
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	switch {
	case m.user != "" && m.passInURL:
		b.WriteString(m.user + ":***@")
	case m.user != "":
		b.WriteString(m.user + "@")
	case m.passInURL:
		b.WriteString("***@")
	}
	b.WriteString(m.addr)
	m.redactedForm = b.String()
	return m, nil
}

func tlsConfig(c *cli.Context, m *masterURL) (*tls.Config, error) {
	wantTLS := c.String("tls-ca") != "" || c.String("tls-cert") != "" || c.String("tls-key") != "" || c.Bool("tls-insecure")
	if !m.tls && !wantTLS {
		return nil, nil
	}
	if !m.tls {
		return nil, usagef("TLS flags need a rediss:// URL")
	}
	cfg := &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Bool("tls-insecure")}
	if n := c.String("tls-server-name"); n != "" {
		cfg.ServerName = n
	}
	if ca := c.String("tls-ca"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, usagef("--tls-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--tls-ca: %s holds no PEM certificate", ca)
		}
		cfg.RootCAs = pool
	}
	cert, key := c.String("tls-cert"), c.String("tls-key")
	if (cert == "") != (key == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, usagef("--tls-cert/--tls-key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("--password-file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

func runSync(c *cli.Context) error {
	log, err := newLogger(c.App.ErrWriter, c.String("log-format"), c.String("log-level"))
	if err != nil {
		return err
	}
	raw := c.Args().First()
	if raw == "" {
		raw = os.Getenv("REDIS_FOLLOWER_URL")
	}
	sent, err := sentinelConfig(c)
	if err != nil {
		return err
	}
	if raw == "" && sent != nil {
		raw = "redis://"
	}
	if raw == "" {
		return usagef("missing REDIS_URL (see redis-follower sync --help)")
	}
	if c.NArg() > 1 {
		return usagef("sync takes one REDIS_URL, got %d arguments", c.NArg())
	}
	m, err := parseURL(raw, sent != nil)
	if err != nil {
		return err
	}
	if sent != nil && m.addr != "" {
		log.Warn("--sentinel is set: the host in REDIS_URL is ignored, the sentinels name the master", "url_host", m.addr)
		m.addr = ""
	}
	if m.passInURL {
		log.Warn("the password is part of the command line, visible to other users in ps; prefer --password-file or REDIS_FOLLOWER_PASSWORD")
	}
	if u := c.String("user"); u != "" {
		m.user = u
	}
	if p := os.Getenv("REDIS_FOLLOWER_PASSWORD"); p != "" {
		m.pass = p
	}
	if f := c.String("password-file"); f != "" {
		if m.pass, err = readPasswordFile(f); err != nil {
			return err
		}
	}
	tc, err := tlsConfig(c, m)
	if err != nil {
		return err
	}
	cfg := follower.Config{
		Link: psync.LinkConfig{
			Addr:        m.addr,
			TLS:         tc,
			IdleTimeout: c.Duration("idle-timeout"),
			Handshake: psync.HandshakeConfig{
				Username:      m.user,
				Password:      m.pass,
				ListeningPort: c.Int("announce-port"),
				AnnounceIP:    c.String("announce-ip"),
				Version:       c.String("replconf-version"),
			},
		},
		Sentinel:          sent,
		Dir:               c.String("dir"),
		OnUnknown:         follower.UnknownPolicy(c.String("on-unknown")),
		Fsync:             journal.FsyncPolicy(c.String("fsync")),
		CompactAge:        c.Duration("compact-age"),
		CompactPause:      c.Bool("compact-pause"),
		NoDecoy:           !c.Bool("decoy"),
		DecoyAddr:         c.String("decoy-listen"),
		KeepJournalOnStop: !c.Bool("snapshot-on-stop"),
		Logger:            log,
	}
	if cfg.CompactBytes, err = parseSize(c.String("compact-size")); err != nil {
		return usagef("--compact-size: %v", err)
	}
	if c.IsSet("compact-age") && cfg.CompactAge == 0 {
		cfg.CompactAge = -1 // never by age
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	f, err := follower.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	master := m.redactedForm
	if sent != nil {
		master = "sentinel:" + strings.Join(sent.Addrs, ",") + "/" + sent.Master
	}
	log.Info("redis-follower starting", "version", version, "master", master, "dir", cfg.Dir, "tls", tc != nil, "fsync", cfg.Fsync)
	err = f.Run(ctx)
	if err != nil {
		var fe *follower.FatalError
		if errors.As(err, &fe) || follower.IsFatal(err) {
			return fmt.Errorf("stopped: %w", err)
		}
		return err
	}
	log.Info("stopped cleanly")
	return nil
}
