package live

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sigs.k8s.io/yaml"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func resourceByKind(t *testing.T, kind string) (int, Resource) {
	for i, r := range Resources {
		if r.Kind == kind {
			return i, r
		}
	}
	t.Fatalf("no resource of kind %s", kind)
	return 0, Resource{}
}

func forbidden(r Resource, user string) error {
	return apierrors.NewForbidden(schema.GroupResource{Group: r.GVR.Group, Resource: r.GVR.Resource}, "",
		errors.New(`User "`+user+`" cannot list resource "`+r.GVR.Resource+`" in API group "`+r.GVR.Group+`" at the cluster scope`))
}

func TestReadFailures(t *testing.T) {
	cluster := Cluster{Context: "prod", Server: "https://10.0.0.1:6443"}
	podsAt, pods := resourceByKind(t, "Pod")
	nodesAt, nodes := resourceByKind(t, "Node")
	dsAt, ds := resourceByKind(t, "DaemonSet")
	refused := &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/api/v1/pods", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
	tests := []struct {
		name     string
		errs     map[int]error
		opts     Options
		wantErr  string
		wantWarn []string
	}{
		{
			name: "list pods forbidden in all namespaces", errs: map[int]error{podsAt: forbidden(pods, "bob")},
			wantErr: `forbidden: cannot list pods in all namespaces with the credentials of context "prod", and without pods there is nothing to analyse: ` +
				`grant get and list on it (docs/rbac.yaml is the minimal read-only ClusterRole), or pass -n NAMESPACE to read one namespace you may list ` +
				`(the API server said: pods is forbidden: User "bob" cannot list resource "pods" in API group "" at the cluster scope)`,
		},
		{
			name: "list pods forbidden in one namespace: no -n hint", errs: map[int]error{podsAt: forbidden(pods, "bob")}, opts: Options{Namespace: "shop"},
			wantErr: `forbidden: cannot list pods in namespace shop with the credentials of context "prod", and without pods there is nothing to analyse: ` +
				`grant get and list on it (docs/rbac.yaml is the minimal read-only ClusterRole) ` +
				`(the API server said: pods is forbidden: User "bob" cannot list resource "pods" in API group "" at the cluster scope)`,
		},
		{
			name: "optional kinds forbidden: warnings naming the loss", errs: map[int]error{nodesAt: forbidden(nodes, "bob"), dsAt: forbidden(ds, "bob")},
			wantWarn: []string{
				`forbidden: cannot list nodes with the credentials of context "prod", so node addresses are unknown: hostNetwork pods without a podIP get no address, ipBlocks cannot match nodes, and the net:nodes network is missing`,
				`forbidden: cannot list daemonsets.apps in all namespaces with the credentials of context "prod", so workloads without running pods get no template pod and their traffic once scaled up is not analysed; the network plugin cannot be detected from its DaemonSet, so --enforcement=auto assumes policies are enforced`,
			},
		},
		{
			name: "expired credentials", errs: map[int]error{nodesAt: apierrors.NewUnauthorized("Unauthorized"), podsAt: apierrors.NewUnauthorized("Unauthorized")},
			wantErr: `the API server at https://10.0.0.1:6443 rejected the credentials of context "prod" (401 Unauthorized): the token or client certificate is missing, invalid or expired; log in again or refresh the kubeconfig`,
		},
		{
			name: "unreachable server", errs: map[int]error{podsAt: refused},
			wantErr: `cannot reach the API server at https://10.0.0.1:6443 (context "prod"): dial tcp: connect: connection refused; check that the cluster is running and that the kubeconfig names the right server`,
		},
		{
			name: "credential plugin fails", errs: map[int]error{podsAt: &url.Error{Op: "Get", URL: "u", Err: errors.New(`getting credentials: exec: executable aws not found`)}},
			wantErr: `cannot get credentials for context "prod": getting credentials: exec: executable aws not found`,
		},
		{
			name: "timeout", errs: map[int]error{nodesAt: &url.Error{Op: "Get", URL: "u", Err: timeoutErr{}}}, opts: Options{RequestTimeout: 5 * time.Second},
			wantErr: `the API server at https://10.0.0.1:6443 (context "prod") did not answer within --request-timeout 5s; check that the kubeconfig names the right server, or allow more time`,
		},
		{
			name: "a kind the server does not serve", errs: map[int]error{nodesAt: apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, "")},
			wantWarn: []string{`the API server does not serve v1/nodes, so node addresses are unknown: hostNetwork pods without a podIP get no address, ipBlocks cannot match nodes, and the net:nodes network is missing`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results := make([]listResult, len(Resources))
			for i, err := range tc.errs {
				results[i].err = err
			}
			err := describeFailures(results, cluster, tc.opts)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			var warns []string
			for i, r := range results {
				if r.err != nil {
					warns = append(warns, optionalFailure(Resources[i], r.err, cluster, tc.opts))
				}
			}
			if diff := cmp.Diff(tc.wantWarn, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestResourcesMatchRBAC: docs/rbac.yaml grants exactly get and list on the
// resources the reader lists.
func TestResourcesMatchRBAC(t *testing.T) {
	data, err := os.ReadFile("../../docs/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := rbacResources(data)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range Resources {
		want = append(want, resourceName(r))
	}
	if diff := cmp.Diff(sortedCopy(want), sortedCopy(got)); diff != "" {
		t.Errorf("docs/rbac.yaml and Resources disagree (-Resources +rbac.yaml):\n%s", diff)
	}
}

// rbacResources returns "resource.group" for every resource the ClusterRole
// of an RBAC manifest grants, and fails on any verb but get and list.
func rbacResources(data []byte) ([]string, error) {
	var out []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Kind  string `json:"kind"`
			Rules []struct {
				APIGroups []string `json:"apiGroups"`
				Resources []string `json:"resources"`
				Verbs     []string `json:"verbs"`
			} `json:"rules"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, err
		}
		if obj.Kind != "ClusterRole" {
			continue
		}
		for _, r := range obj.Rules {
			if diff := cmp.Diff([]string{"get", "list"}, r.Verbs); diff != "" {
				return nil, fmt.Errorf("verbs of %v must be exactly get and list (-want +got):\n%s", r.Resources, diff)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					if g == "" {
						out = append(out, res)
					} else {
						out = append(out, res+"."+g)
					}
				}
			}
		}
	}
	return out, nil
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
