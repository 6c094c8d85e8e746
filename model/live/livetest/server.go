// Package livetest runs a real Kubernetes API server for end-to-end tests of
// the live-cluster reader: etcd (Debian's etcd-server) and a kube-apiserver
// built from the k8s.io/kubernetes module by testdata/apiserver/build.sh,
// both on 127.0.0.1 only, with certificates made here and static tokens. It
// applies manifests with client-go and sets pod and node status through the
// status subresource, since there is no kubelet.
//
// Without etcd or the built kube-apiserver, Start skips the test with the
// command that provides them, and fails it instead when CI=true.
package livetest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Token is a static bearer token the server accepts, with its user.
type Token struct {
	Token  string
	User   string
	Groups []string
}

// AdminToken belongs to a member of system:masters, which RBAC lets do anything.
var AdminToken = Token{Token: "netreach-e2e-admin-token", User: "e2e-admin", Groups: []string{"system:masters"}}

// Server is a running etcd and kube-apiserver pair.
type Server struct {
	// URL is the API server's https address on 127.0.0.1.
	URL string
	// CAData is the PEM certificate of the CA that signed the serving certificate.
	CAData []byte
	// Dir holds the server's files (certificates, logs); removed by the test.
	Dir string

	t *testing.T
}

// requirement is a program the server needs, and how to get it.
type requirement struct{ what, path, how string }

// Start runs etcd and kube-apiserver for the test and stops them when it ends.
// tokens are accepted besides AdminToken.
func Start(t *testing.T, tokens ...Token) *Server {
	t.Helper()
	etcd, apiserver := requirement{what: "etcd"}, requirement{what: "kube-apiserver"}
	etcd.path, _ = exec.LookPath("etcd")
	etcd.how = "apt-get install etcd-server (or `make e2e-deps`)"
	apiserver.path, apiserver.how = APIServerBinary(t), "`make e2e-deps` (testdata/apiserver/build.sh)"
	for _, r := range []requirement{etcd, apiserver} {
		if r.path != "" {
			continue
		}
		msg := fmt.Sprintf("live e2e test: %s is not available; get it with %s", r.what, r.how)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: failing instead of skipping)")
		}
		t.Skip(msg)
	}

	dir := t.TempDir()
	s := &Server{Dir: dir, t: t}
	certs, err := writeCertificates(dir)
	if err != nil {
		t.Fatalf("live e2e test: certificates: %v", err)
	}
	s.CAData = certs.caPEM
	if err := writeTokens(filepath.Join(dir, "tokens.csv"), append([]Token{AdminToken}, tokens...)); err != nil {
		t.Fatal(err)
	}

	etcdClient, etcdPeer, securePort := freePort(t), freePort(t), freePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	t.Logf("live e2e: starting etcd (%s) on %s", etcd.path, etcdURL)
	s.start("etcd", etcd.path,
		"--name", "e2e", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL, "--initial-cluster-state", "new")

	s.URL = fmt.Sprintf("https://127.0.0.1:%d", securePort)
	// Admission: ServiceAccount is off because no controller manager creates
	// the default ServiceAccount the demo pods name, and PodSecurity because
	// the demo's pods were never meant to meet the levels its namespaces'
	// labels enforce (the test is about reading, not admission), and
	// PodTopologyLabels because the demo's pods were saved with the labels they
	// have, which that plugin would extend with their nodes' zones; the other
	// default plugins stay on. --endpoint-reconciler-type=none leaves default/kubernetes'
	// endpoints to the manifests, as in the snapshot being applied.
	t.Logf("live e2e: starting kube-apiserver (%s) on %s", apiserver.path, s.URL)
	s.start("kube-apiserver", apiserver.path,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(securePort),
		"--cert-dir", filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file", certs.serverCert, "--tls-private-key-file", certs.serverKey,
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", certs.saPub, "--service-account-signing-key-file", certs.saKey,
		"--service-cluster-ip-range", "10.96.0.0/12",
		"--disable-admission-plugins", "ServiceAccount,PodSecurity,PodTopologyLabels",
		"--endpoint-reconciler-type", "none",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false")
	s.waitReady(90 * time.Second)
	return s
}

// start runs a server process, logging to DIR/NAME.log, and stops it when the
// test ends.
func (s *Server) start(name, path string, args ...string) {
	t := s.t
	logPath := filepath.Join(s.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("live e2e: cannot start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			t.Logf("live e2e: last lines of %s:\n%s", logPath, tail(logPath, 30))
		}
		t.Logf("live e2e: stopped %s (pid %d)", name, cmd.Process.Pid)
	})
}

// waitReady polls until the API server is ready and has made the objects it
// makes itself (Service default/kubernetes), which Apply then updates.
func (s *Server) waitReady(limit time.Duration) {
	t := s.t
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CAData)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	paths := []string{"/readyz", "/api/v1/namespaces/default/services/kubernetes"}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+paths[0], nil)
		req.Header.Set("Authorization", "Bearer "+AdminToken.Token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if paths = paths[1:]; len(paths) == 0 {
					t.Logf("live e2e: kube-apiserver ready after %s", time.Since(start).Round(100*time.Millisecond))
					return
				}
				continue
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("live e2e: kube-apiserver not ready after %s (last error %v); log:\n%s", limit, err, tail(filepath.Join(s.Dir, "kube-apiserver.log"), 40))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeTokens(path string, tokens []Token) error {
	var b strings.Builder
	for _, tk := range tokens {
		fmt.Fprintf(&b, "%s,%s,%s", tk.Token, tk.User, tk.User)
		if len(tk.Groups) > 0 {
			fmt.Fprintf(&b, ",\"%s\"", strings.Join(tk.Groups, ","))
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// APIServerBinary returns the kube-apiserver that testdata/apiserver/build.sh
// built for the k8s.io/kubernetes version of testdata/apiserver/go.mod (or
// $NETREACH_KUBE_APISERVER), or "" when there is none.
func APIServerBinary(t *testing.T) string {
	if p := os.Getenv("NETREACH_KUBE_APISERVER"); p != "" {
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	version, err := kubernetesVersion(filepath.Join(root, "testdata", "apiserver", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	p := filepath.Join(cache, "netreach", "kube-apiserver-"+version, "kube-apiserver")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// moduleRoot finds the directory of netreach's go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module github.com/netreach/netreach\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no netreach go.mod above the working directory")
		}
		dir = parent
	}
}

// kubernetesVersion reads the k8s.io/kubernetes version a go.mod requires.
func kubernetesVersion(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "k8s.io/kubernetes" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s requires no k8s.io/kubernetes", gomod)
}
