package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// policy wraps a NetworkPolicy spec (indented by two spaces) in a manifest
// whose spec starts on line 6.
func policy(spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-web\n  namespace: shop\nspec:\n" + spec
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // content of "in.yaml" (or "in.json" when it starts with '{')
		want []string
	}{
		{
			name: "invalid CIDR",
			file: policy("  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n    - ipBlock:\n        cidr: 10.0.0.0/33\n"),
			want: []string{`in.yaml:12: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0.0/33"`},
		},
		{
			name: "except outside its cidr",
			file: policy("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.1.0.0/16, 192.168.0.0/16]\n"),
			want: []string{`in.yaml:12: document 1 (NetworkPolicy shop/allow-web): spec.egress[0].to[0].ipBlock.except[1]: "192.168.0.0/16" must be a strict subset of cidr "10.0.0.0/8"`},
		},
		{
			name: "except equal to its cidr",
			file: policy("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.egress[0].to[0].ipBlock.except[0]: "10.0.0.0/8" must be a strict subset of cidr "10.0.0.0/8"`},
		},
		{
			name: "except of another address family",
			file: policy("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: ['::/64']}\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.egress[0].to[0].ipBlock.except[0]: "::/64" must be a strict subset of cidr "0.0.0.0/0"`},
		},
		{
			name: "port above 65535 and port 0",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000\n    - port: 0\n"),
			want: []string{
				`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].port: port 70000 is outside 1-65535`,
				`in.yaml:11: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[1].port: port 0 is outside 1-65535`,
			},
		},
		{
			name: "endPort with a named port",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: http\n      endPort: 90\n"),
			want: []string{`in.yaml:11: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].endPort: endPort may not be used with the named port "http"`},
		},
		{
			name: "endPort below port",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      endPort: 79\n"),
			want: []string{`in.yaml:11: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].endPort: endPort 79 is below port 80`},
		},
		{
			name: "endPort without port",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - endPort: 90\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].endPort: endPort requires a port`},
		},
		{
			name: "endPort above 65535",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      endPort: 65536\n"),
			want: []string{`in.yaml:11: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].endPort: port 65536 is outside 1-65535`},
		},
		{
			name: "unknown protocol",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - protocol: HTTP\n      port: 80\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].protocol: unsupported protocol "HTTP": must be TCP, UDP or SCTP`},
		},
		{
			name: "invalid named port",
			file: policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: \"8080\"\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].ports[0].port: invalid port name "8080": must contain at least one letter (a-z)`},
		},
		{
			name: "ipBlock combined with a selector in one peer",
			file: policy("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      namespaceSelector: {}\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].from[0]: an ipBlock may not be combined with podSelector or namespaceSelector in the same peer`},
		},
		{
			name: "empty peer",
			file: policy("  podSelector: {}\n  ingress:\n  - from:\n    - {}\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].from[0]: must specify a peer: podSelector, namespaceSelector or ipBlock`},
		},
		{
			name: "invalid selector operator",
			file: policy("  podSelector:\n    matchExpressions:\n    - {key: app, operator: Like, values: [web]}\n"),
			want: []string{`in.yaml:9: document 1 (NetworkPolicy shop/allow-web): spec.podSelector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator`},
		},
		{
			name: "In without values",
			file: policy("  podSelector:\n    matchExpressions:\n    - {key: app, operator: In}\n"),
			want: []string{`in.yaml:9: document 1 (NetworkPolicy shop/allow-web): spec.podSelector.matchExpressions[0].values: Required value: must be specified when ` + "`operator`" + ` is 'In' or 'NotIn'`},
		},
		{
			name: "invalid label value in a selector",
			file: policy("  podSelector:\n    matchLabels: {app: 'web server'}\n"),
			want: []string{`in.yaml:8: document 1 (NetworkPolicy shop/allow-web): spec.podSelector.matchLabels: Invalid value: "web server": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		},
		{
			name: "unsupported policy type",
			file: policy("  podSelector: {}\n  policyTypes: [Ingress, Both]\n"),
			want: []string{`in.yaml:8: document 1 (NetworkPolicy shop/allow-web): spec.policyTypes[1]: unsupported value "Both": must be Ingress or Egress`},
		},
		{
			name: "more than two policy types",
			file: policy("  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n"),
			want: []string{`in.yaml:8: document 1 (NetworkPolicy shop/allow-web): spec.policyTypes: may not specify more than two policyTypes`},
		},
		{
			name: "misspelt field",
			file: policy("  podSelector: {}\n  ingress:\n  - from:\n    - podSelecter: {matchLabels: {app: web}}\n"),
			want: []string{`in.yaml:10: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].from[0].podSelecter: unknown field "podSelecter"`},
		},
		{
			name: "wrong type",
			file: policy("  podSelector: {}\n  ingress:\n  - ports: [{port: [80]}]\n"),
			want: []string{`in.yaml:8: document 1 (NetworkPolicy shop/allow-web): spec.ingress.ports.port: cannot use a JSON array as a number`},
		},
		{
			name: "duplicate objects",
			file: policy("  podSelector: {}\n") + "---\n" + policy("  podSelector: {}\n"),
			want: []string{`in.yaml:9: document 2 (NetworkPolicy shop/allow-web): duplicate object: already defined at in.yaml:1: document 1`},
		},
		{
			name: "invalid YAML",
			file: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
			want: []string{`in.yaml:9: document 2: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name: "invalid JSON",
			file: `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}` + "\n" + `{"apiVersion": "v1", "kind": "Pod",` + "\n" + `"metadata": {"name": "b"}`,
			want: []string{`in.json:3: document 2: invalid JSON: unexpected end of JSON input`},
		},
		{
			name: "missing kind",
			file: "apiVersion: v1\nmetadata:\n  name: a\n",
			want: []string{`in.yaml:1: document 1: kind: required: every object needs apiVersion and kind`},
		},
		{
			name: "missing and invalid names",
			file: "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\n  namespace: shop\n",
			want: []string{
				`in.yaml:3: document 1 (Namespace): metadata.name: required`,
				`in.yaml:9: document 2 (Pod shop/Web_1): metadata.name: invalid name "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name: "invalid pod addresses and ports",
			file: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    ports:\n    - {name: http, containerPort: 99999}\n    - {name: UPPER, containerPort: 80, protocol: ICMP}\nstatus:\n  podIP: 10.0.0.300\n",
			want: []string{
				`in.yaml:11: document 1 (Pod shop/p): status.podIP: invalid IP address "10.0.0.300"`,
				`in.yaml:8: document 1 (Pod shop/p): spec.containers[0].ports[0].containerPort: port 99999 is outside 1-65535`,
				`in.yaml:9: document 1 (Pod shop/p): spec.containers[0].ports[1].name: invalid port name "UPPER": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`,
				`in.yaml:9: document 1 (Pod shop/p): spec.containers[0].ports[1].protocol: unsupported protocol "ICMP": must be TCP, UDP or SCTP`,
			},
		},
		{
			name: "workload without a template",
			file: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 1\n",
			want: []string{`in.yaml:4: document 1 (Deployment shop/web): spec.template: required: a Deployment needs a pod template`},
		},
		{
			name: "network catalogue problems",
			file: "apiVersion: netreach/v1\nkind: NetworkCatalog\nnetworks:\n- {name: vpc, type: peering, cidrs: [10.0.0.0/8]}\n- {name: vpc, type: vpn, cidrs: [300.0.0.0/8]}\n- {name: Bad Name, type: custom}\n",
			want: []string{
				`in.yaml:5: document 1 (NetworkCatalog): networks[1].name: duplicate network "vpc" (also networks[0])`,
				`in.yaml:5: document 1 (NetworkCatalog): networks[1].type: unsupported type "vpn": must be one of internet, cloud-metadata, control-plane, nodes, peering, transit, onprem, partner, custom`,
				`in.yaml:5: document 1 (NetworkCatalog): networks[1].cidrs[0]: invalid CIDR "300.0.0.0/8"`,
				`in.yaml:6: document 1 (NetworkCatalog): networks[2].name: invalid name "Bad Name": use lower-case letters, digits and '-'`,
				`in.yaml:6: document 1 (NetworkCatalog): networks[2].cidrs: required: at least one CIDR`,
			},
		},
		{
			name: "errors in a List item point at the item",
			file: "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: ok}\n  status:\n    podIP: nope\nkind: List\n",
			want: []string{`in.yaml:10: document 1, item 2 (Pod ok/p): status.podIP: invalid IP address "nope"`},
		},
		{
			name: "errors in a JSON List item point at the item",
			file: "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"ok\"}},\n {\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\", \"namespace\": \"ok\"},\n  \"status\": {\"podIP\": \"nope\"}}\n]}\n",
			want: []string{`in.json:5: document 1, item 2 (Pod ok/p): status.podIP: invalid IP address "nope"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "in.yaml"
			if strings.HasPrefix(tc.file, "{") {
				name = "in.json"
			}
			_, err := loadString(t, map[string]string{name: tc.file}, LoadOptions{})
			if err == nil {
				t.Fatal("expected an error")
			}
			le, ok := err.(*LoadError)
			if !ok {
				t.Fatalf("want *LoadError, got %T: %v", err, err)
			}
			var got []string
			for _, e := range le.Errors {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidationWarnings(t *testing.T) {
	s := mustLoad(t, map[string]string{"in.yaml": policy("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.1.2.3/8}\n")})
	want := []string{`in.yaml:1: document 1 (NetworkPolicy shop/allow-web): spec.egress[0].to[0].ipBlock.cidr: "10.1.2.3/8" has host bits set; it means 10.0.0.0/8`}
	if diff := cmp.Diff(want, s.Warnings[:1]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if got := s.Policies[0].Egress[0].Peers[0].IPBlock.CIDR.String(); got != "10.0.0.0/8" {
		t.Errorf("CIDR = %s", got)
	}
}
