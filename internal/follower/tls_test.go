package follower_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/redistest"
)

type certs struct {
	dir      string
	pool     *x509.CertPool
	client   tls.Certificate
	caPath   string
	certPath string
	keyPath  string
}

// makeCerts writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA.
func makeCerts(t *testing.T) *certs {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
		return p
	}
	c := &certs{dir: dir, pool: x509.NewCertPool()}
	c.pool.AddCert(ca)
	c.caPath = write("ca.crt", "CERTIFICATE", caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string, tls.Certificate) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		cp, kp := write(name+".crt", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kder)
		pair, err := tls.LoadX509KeyPair(cp, kp)
		if err != nil {
			t.Fatal(err)
		}
		return cp, kp, pair
	}
	c.certPath, c.keyPath, _ = issue("server", 2, x509.ExtKeyUsageServerAuth)
	_, _, c.client = issue("client", 3, x509.ExtKeyUsageClientAuth)
	return c
}

// TestTLS: a TLS master that requires client certificates is synced over
// TLS; a follower that does not trust the master's CA stops with a fatal
// error instead of retrying forever.
func TestTLS(t *testing.T) {
	c := makeCerts(t)
	tlsPort := redistest.FreePort(t)
	m := redistest.Start(t, "--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", c.certPath,
		"--tls-key-file", c.keyPath, "--tls-ca-cert-file", c.caPath, "--tls-auth-clients", "yes")
	fill(t, m, 300)
	tlsAddr := "127.0.0.1:" + strconv.Itoa(tlsPort)

	cfg := config(tlsAddr, t.TempDir(), nil)
	cfg.Link.TLS = &tls.Config{RootCAs: c.pool, Certificates: []tls.Certificate{c.client}, ServerName: "127.0.0.1"}
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	compare(t, r, m)

	bad := config(tlsAddr, t.TempDir(), nil)
	bad.Link.TLS = &tls.Config{RootCAs: x509.NewCertPool(), Certificates: []tls.Certificate{c.client}, ServerName: "127.0.0.1"}
	rb := start(t, bad)
	select {
	case err := <-rb.done:
		close(rb.done)
		if !follower.IsFatal(err) || !strings.Contains(err.Error(), "TLS") {
			t.Fatalf("untrusted master: got %v, want a fatal TLS error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a follower that does not trust the master kept retrying")
	}
}
