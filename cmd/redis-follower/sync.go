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
	"github.com/redis-follower/redis-follower/internal/psync"
)

func syncCommand() *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "replicate a master into the data directory and keep following it",
		ArgsUsage: "REDIS_URL",
		Description: "REDIS_URL is redis://[user[:password]@]host:port (rediss:// for TLS); it can also come from\n" +
			"REDIS_FOLLOWER_URL. Prefer --password-file or REDIS_FOLLOWER_PASSWORD to a password in the URL:\n" +
			"command lines are visible to every user of the machine (ps).\n\n" +
			"The follower stops cleanly on SIGINT/SIGTERM, writing DIR/dump.rdb (a Redis-loadable RDB with\n" +
			"repl-id, repl-offset and repl-stream-db); the next start resumes with a partial resync.",
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
			&cli.IntFlag{Name: "announce-port", Value: 0, Usage: "port announced with REPLCONF listening-port (shown in the master's INFO)", EnvVars: []string{"REDIS_FOLLOWER_ANNOUNCE_PORT"}},
			&cli.StringFlag{Name: "announce-ip", Usage: "IP announced with REPLCONF ip-address", EnvVars: []string{"REDIS_FOLLOWER_ANNOUNCE_IP"}},
			&cli.StringFlag{Name: "replconf-version", Value: "9.0.0", Usage: "version announced with REPLCONF version (Valkey 9 then sends RDB 80); empty to omit", EnvVars: []string{"REDIS_FOLLOWER_REPLCONF_VERSION"}},
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

func parseMasterURL(raw string) (*masterURL, error) {
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
	if host == "" {
		return nil, usagef("REDIS_URL has no host")
	}
	if port == "" {
		port = "6379"
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return nil, usagef("REDIS_URL port %q is not a TCP port", port)
	}
	m.host, m.addr = host, net.JoinHostPort(host, port)
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
	if raw == "" {
		return usagef("missing REDIS_URL (see redis-follower sync --help)")
	}
	if c.NArg() > 1 {
		return usagef("sync takes one REDIS_URL, got %d arguments", c.NArg())
	}
	m, err := parseMasterURL(raw)
	if err != nil {
		return err
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
		Dir:       c.String("dir"),
		OnUnknown: follower.UnknownPolicy(c.String("on-unknown")),
		Logger:    log,
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
	log.Info("redis-follower starting", "version", version, "master", m.redactedForm, "dir", cfg.Dir, "tls", tc != nil)
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
