package model

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestStripObjectKeepsOnlyWhatTheAnalysisReads(t *testing.T) {
	tests := []struct {
		name, apiVersion, kind, in, want string
	}{
		{
			name: "pod: no env, commands, volumes, images, annotations or managed fields", apiVersion: "v1", kind: "Pod",
			in: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","labels":{"app":"web"},"annotations":{"secret":"x"},
				"managedFields":[{"manager":"kubectl"}],"uid":"u","resourceVersion":"7",
				"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-abc","uid":"r","controller":true,"blockOwnerDeletion":true}]},
				"spec":{"nodeName":"n1","hostNetwork":true,"serviceAccountName":"sa","volumes":[{"name":"v"}],
				"containers":[{"name":"c","image":"img","command":["sh"],"env":[{"name":"PASSWORD","value":"hunter2"}],
					"ports":[{"name":"http","containerPort":80,"protocol":"TCP","hostPort":80}]}],
				"initContainers":[{"name":"proxy","image":"i","restartPolicy":"Always","ports":[{"containerPort":15001}]}]},
				"status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}],"hostIP":"10.1.0.1","conditions":[{"type":"Ready"}]}}`,
			want: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"dflt","labels":{"app":"web"},
				"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-abc","uid":"r","controller":true}]},
				"spec":{"nodeName":"n1","hostNetwork":true,
				"containers":[{"name":"c","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}]}],
				"initContainers":[{"name":"proxy","restartPolicy":"Always","ports":[{"containerPort":15001}]}]},
				"status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}],"hostIP":"10.1.0.1"}}`,
		},
		{
			name: "workload keeps template labels, ports and images (network plugin detection)", apiVersion: "apps/v1", kind: "DaemonSet",
			in: `{"metadata":{"name":"calico-node","namespace":"kube-system","annotations":{"a":"b"}},
				"spec":{"selector":{"matchLabels":{"k":"v"}},"template":{"metadata":{"labels":{"k":"v"},"annotations":{"x":"y"}},
				"spec":{"hostNetwork":true,"containers":[{"name":"calico","image":"calico/node:v3","env":[{"name":"A","value":"B"}]}]}}},
				"status":{"numberReady":3}}`,
			want: `{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"kube-system"},
				"spec":{"template":{"metadata":{"labels":{"k":"v"}},"spec":{"hostNetwork":true,"containers":[{"name":"calico","image":"calico/node:v3"}]}}}}`,
		},
		{
			name: "typed-list item gets its apiVersion; CronJob job template", apiVersion: "", kind: "CronJob",
			in: `{"metadata":{"name":"nightly","namespace":"batch"},"spec":{"schedule":"@daily","jobTemplate":{"spec":{"template":{"metadata":{"labels":{"j":"n"}},
				"spec":{"containers":[{"name":"c","image":"i","args":["--token=abc"]}]}}}}}}`,
			want: `{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly","namespace":"batch"},
				"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"j":"n"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}}}`,
		},
		{
			name: "namespace: labels only, no namespace of its own", apiVersion: "v1", kind: "Namespace",
			in:   `{"metadata":{"name":"shop","labels":{"team":"a"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
			want: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"team":"a"}}}`,
		},
		{
			name: "node: addresses and pod CIDRs", apiVersion: "v1", kind: "Node",
			in:   `{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.244.0.0/24","taints":[{"key":"k"}]},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}],"images":[{"names":["a"]}]}}`,
			want: `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"spec":{"podCIDR":"10.244.0.0/24"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}`,
		},
		{
			name: "service and endpoint slice", apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
			in: `{"metadata":{"name":"kubernetes","namespace":"default","labels":{"kubernetes.io/service-name":"kubernetes"}},"addressType":"IPv4",
				"endpoints":[{"addresses":["10.0.0.5"],"conditions":{"ready":true},"nodeName":"n"}],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}`,
			want: `{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"kubernetes","namespace":"default","labels":{"kubernetes.io/service-name":"kubernetes"}},
				"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.5"]}],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}`,
		},
		{
			name: "network policy spec kept whole", apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
			in:   `{"metadata":{"name":"p","namespace":"x","generation":3},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}}`,
			want: `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"p","namespace":"x"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := StripObject([]byte(tc.in), tc.apiVersion, tc.kind, "dflt")
			if err != nil || !ok {
				t.Fatalf("ok %v, err %v", ok, err)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.Object); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStripObjectDropsOtherKinds(t *testing.T) {
	for _, k := range [][2]string{{"v1", "Secret"}, {"v1", "ConfigMap"}, {"crd.projectcalico.org/v1", "NetworkPolicy"}, {"netreach/v1", "NetworkCatalog"}} {
		if obj, ok, err := StripObject([]byte(`{"metadata":{"name":"s"},"data":{"password":"aHVudGVyMg=="}}`), k[0], k[1], "default"); ok || obj != nil || err != nil {
			t.Errorf("%s/%s: kept (%v, %v, %v); objects of kinds the analysis does not read are never saved", k[0], k[1], obj, ok, err)
		}
	}
}

// TestKeepObjectsRoundTrip saves what the loader read and reads it back: the
// snapshot must be the same, and objects of unread kinds must be gone.
func TestKeepObjectsRoundTrip(t *testing.T) {
	files := map[string]string{"in.yaml": `apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data: {password: aHVudGVyMg==}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: web-1, labels: {app: web}, annotations: {note: x}}
  spec:
    nodeName: n1
    containers: [{name: c, image: i, env: [{name: TOKEN, value: s3cret}], ports: [{name: http, containerPort: 8080}]}]
  status: {phase: Running, podIP: 10.0.0.7}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]
`}
	s, err := loadString(t, files, LoadOptions{KeepObjects: true, DefaultNamespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]any, len(s.Saved))
	for i, o := range s.Saved {
		items[i] = o.Object
	}
	out, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"Secret", "s3cret", "aHVudGVyMg", "annotations", "image"} {
		if strings.Contains(string(out), banned) {
			t.Errorf("saved objects hold %q:\n%s", banned, out)
		}
	}
	back, err := loadString(t, map[string]string{"saved.yaml": string(out)}, LoadOptions{})
	if err != nil {
		t.Fatalf("reading the saved objects back: %v\n%s", err, out)
	}
	read := inventoryOf(s)
	if len(read.Skipped) != 1 {
		t.Fatalf("the Secret should have been skipped on reading: %v", read.Skipped)
	}
	read.Skipped = nil // skipped objects are not saved
	if diff := cmp.Diff(read, inventoryOf(back)); diff != "" {
		t.Errorf("the saved objects read back differ (-read +saved):\n%s", diff)
	}
	if len(s.Saved) != 2 || s.Saved[0].Kind != "NetworkPolicy" || s.Saved[1].Namespace != "shop" {
		t.Errorf("saved %v; want the policy then the pod, with the default namespace written out", s.Saved)
	}
}

// FuzzStripObject: reducing an object never fails on decodable JSON, and
// reducing the result again changes nothing.
func FuzzStripObject(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":1}]}]}}`), "Pod")
	f.Add([]byte(`{"spec":{"template":{"spec":{"containers":"not a list"}}}}`), "Deployment")
	f.Add([]byte(`{"metadata":null,"subsets":[{"addresses":[{"ip":"1.2.3.4"}]}]}`), "Endpoints")
	f.Add([]byte(`[]`), "Node")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		obj, ok, err := StripObject(data, "", kind, "default")
		if !ok || err != nil {
			return
		}
		again, err := json.Marshal(obj.Object)
		if err != nil {
			t.Fatalf("cannot encode the reduced object: %v", err)
		}
		obj2, ok, err := StripObject(again, "", kind, "default")
		if !ok || err != nil {
			t.Fatalf("reducing the reduced object: ok %v, err %v", ok, err)
		}
		if diff := cmp.Diff(obj.Object, obj2.Object); diff != "" {
			t.Errorf("reducing twice changed the object (-once +twice):\n%s", diff)
		}
	})
}
