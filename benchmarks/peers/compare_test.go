package peers

import (
	"os"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/evaluator"
)

func TestParseConnString(t *testing.T) {
	tcp, udp, sctp := corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP
	for _, tc := range []struct {
		in   string
		want evaluator.PortSet
	}{
		{"All Connections", evaluator.AllPorts(evaluator.Protocols...)},
		{"No Connections", evaluator.PortSet{}},
		{"TCP 80", evaluator.SinglePort(tcp, 80, 80)},
		{"TCP 80,UDP 53-54", evaluator.SinglePort(tcp, 80, 80).Union(evaluator.SinglePort(udp, 53, 54))},
		{"SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535",
			evaluator.AllPorts(sctp, udp).Union(evaluator.SinglePort(tcp, 1, 79)).Union(evaluator.SinglePort(tcp, 81, 65535))},
		{"TCP 8080-8090,9000,UDP 53",
			evaluator.SinglePort(tcp, 8080, 8090).Union(evaluator.SinglePort(tcp, 9000, 9000)).Union(evaluator.SinglePort(udp, 53, 53))},
		// Adjacent ranges merge, as netreach's sets are canonical.
		{"TCP 80,81-90", evaluator.SinglePort(tcp, 80, 90)},
		{"SCTP 1-65535,TCP 1-65535,UDP 1-65535", evaluator.AllPorts(evaluator.Protocols...)},
	} {
		got, err := ParseConnString(tc.in)
		if err != nil {
			t.Errorf("ParseConnString(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("ParseConnString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"TCP http", "80", "ICMP 1", "TCP 0", "TCP 90-80", "TCP 70000"} {
		if got, err := ParseConnString(bad); err == nil {
			t.Errorf("ParseConnString(%q) = %s, want an error", bad, got)
		}
	}
}

func TestParseCases(t *testing.T) {
	cs, err := ParseCases(DefaultCases, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(strings.Split(DefaultCases, ",")) {
		t.Fatalf("got %d cases", len(cs))
	}
	if cs[2].Name != "T2@0.1" || cs[2].Shape.Pods != 1000 || cs[2].Shape.Policies != 200 {
		t.Errorf("T2@0.1 = %+v", cs[2].Shape)
	}
	cs, err = ParseCases("T5@0.01/nohost/bare", 7)
	if err != nil {
		t.Fatal(err)
	}
	if c := cs[0]; c.Shape.HostNetworkFraction != 0 || !c.Bare || c.Seed != 7 || c.Shape.Pods != 1500 {
		t.Errorf("T5@0.01/nohost/bare = %+v", c)
	}
	for _, bad := range []string{"", "nope", "T1@x", "T1@-1", "T1/what"} {
		if _, err := ParseCases(bad, 1); err == nil {
			t.Errorf("ParseCases(%q): no error", bad)
		}
	}
}

// TestCompareWithNetpolAnalyzer runs both tools on every case and fails on
// any difference that no documented reason explains. It takes minutes, so it
// runs only with NETREACH_PEERS=1. NETREACH_PEERS_CASES picks the cases
// (default DefaultCases), NETREACH_PEERS_SEED the seed (default 1), and
// NETREACH_PEERS_OUT names a file that receives the Markdown report.
func TestCompareWithNetpolAnalyzer(t *testing.T) {
	if os.Getenv("NETREACH_PEERS") != "1" {
		t.Skip("set NETREACH_PEERS=1 to compare with netpol-analyzer (takes minutes)")
	}
	list := os.Getenv("NETREACH_PEERS_CASES")
	if list == "" {
		list = DefaultCases
	}
	seed := uint64(1)
	if s := os.Getenv("NETREACH_PEERS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("NETREACH_PEERS_SEED: %v", err)
		}
		seed = v
	}
	cases, err := ParseCases(list, seed)
	if err != nil {
		t.Fatal(err)
	}
	var results []*Result
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r, err := Run(c, RunOptions{Dir: t.TempDir(), NetreachRuns: 3, NPARuns: 1, Log: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r)
			t.Logf("%s", r.Agreement())
			if n := r.Unexplained(); n > 0 {
				var b strings.Builder
				WriteDetails(&b, []*Result{r}, 10)
				t.Errorf("%d unexplained differences with netpol-analyzer:\n%s", n, b.String())
			}
		})
	}
	var b strings.Builder
	WriteTable(&b, results)
	b.WriteString("\n")
	WriteDetails(&b, results, 5)
	t.Logf("\n%s", b.String())
	if out := os.Getenv("NETREACH_PEERS_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}
