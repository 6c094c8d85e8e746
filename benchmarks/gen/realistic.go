package gen

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// This file holds the padding Write adds in realistic mode. A padded object
// is a shallow copy of the stored one whose top-level fields are replaced,
// never written through, so the Cluster stays untouched. Every value is
// derived from the object's namespace and name, so output is reproducible.

// padder holds the parts of the padding that are the same for every pod.
// They are shared between the padded copies, which live only until they
// are marshalled.
type padder struct {
	env         []corev1.EnvVar
	resources   corev1.ResourceRequirements
	tolerations []corev1.Toleration
	podSecurity *corev1.PodSecurityContext
	grace       *int64
	tokenTTL    *int64
	mode        *int32
	priority    *int32
	preemption  *corev1.PreemptionPolicy
	yes         *bool
	fields      bytes.Buffer
	keys        []string
}

func newPadder() *padder {
	ptr := func(v int64) *int64 { return &v }
	mode, priority := int32(420), int32(0)
	preemption := corev1.PreemptLowerPriority
	yes := true
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}
	}
	return &padder{
		env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: field("metadata.name")},
			{Name: "LOG_LEVEL", Value: "info"},
		},
		resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("128Mi"),
			},
		},
		tolerations: []corev1.Toleration{
			{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(300)},
			{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(300)},
		},
		podSecurity: &corev1.PodSecurityContext{},
		grace:       ptr(30),
		tokenTTL:    ptr(3607),
		mode:        &mode,
		priority:    &priority,
		preemption:  &preemption,
		yes:         &yes,
	}
}

// noise is a small deterministic random source seeded from an object's
// identity (FNV-1a, then splitmix64 steps).
type noise uint64

func newNoise(parts ...string) noise {
	h := uint64(14695981039346656037)
	for _, s := range parts {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= '/'
		h *= 1099511628211
	}
	return noise(h)
}

func (n *noise) next() uint64 {
	*n += 0x9e3779b97f4a7c15
	z := uint64(*n)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (n *noise) hex(bytesLen int) string {
	b := make([]byte, 0, bytesLen)
	for len(b) < bytesLen {
		v := n.next()
		for i := 0; i < 8 && len(b) < bytesLen; i++ {
			b = append(b, byte(v>>(8*i)))
		}
	}
	return hex.EncodeToString(b)
}

func (n *noise) uid() types.UID {
	s := n.hex(16)
	return types.UID(s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32])
}

// meta fills the identity fields every stored object has.
func (n *noise) meta(m *metav1.ObjectMeta) time.Time {
	created := deployEpoch.Add(time.Duration(n.next()%(14*24*3600)) * time.Second)
	m.UID = n.uid()
	m.ResourceVersion = strconv.FormatUint(10_000_000+n.next()%90_000_000, 10)
	m.CreationTimestamp = metav1.NewTime(created)
	return created
}

func (d *padder) namespace(o *corev1.Namespace) *corev1.Namespace {
	cp := *o
	n := newNoise("namespace", o.Name)
	n.meta(&cp.ObjectMeta)
	cp.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
	cp.Status.Phase = corev1.NamespaceActive
	return &cp
}

func (d *padder) node(o *corev1.Node) *corev1.Node {
	cp := *o
	n := newNoise("node", o.Name)
	n.meta(&cp.ObjectMeta)
	return &cp
}

func (d *padder) policy(o *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	cp := *o
	n := newNoise("networkpolicy", o.Namespace, o.Name)
	n.meta(&cp.ObjectMeta)
	cp.Generation = 1
	return &cp
}

func (d *padder) pod(o *corev1.Pod) *corev1.Pod {
	cp := *o
	n := newNoise("pod", o.Namespace, o.Name)
	created := n.meta(&cp.ObjectMeta)
	started := metav1.NewTime(created.Add(time.Duration(2+n.next()%20) * time.Second))
	ready := metav1.NewTime(started.Add(time.Duration(3+n.next()%40) * time.Second))
	scheduled := metav1.NewTime(created.Add(time.Second))

	var ownerUID string
	if len(o.OwnerReferences) > 0 {
		cp.GenerateName = o.OwnerReferences[0].Name + "-"
		ownerUID = string(o.OwnerReferences[0].UID)
	}

	metricsPort := ""
	for _, c := range o.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == "metrics" && metricsPort == "" {
				metricsPort = strconv.Itoa(int(p.ContainerPort))
			}
		}
	}
	ann := make(map[string]string, len(o.Annotations)+3)
	for k, v := range o.Annotations {
		ann[k] = v
	}
	ann["kubectl.kubernetes.io/restartedAt"] = created.Add(-time.Duration(1+n.next()%48) * time.Hour).Format(time.RFC3339)
	if metricsPort != "" {
		ann["prometheus.io/scrape"] = "true"
		ann["prometheus.io/port"] = metricsPort
	}
	cp.Annotations = ann

	volume := "kube-api-access-" + suffix5(n.next()%14348907)
	containers := slices.Clone(o.Spec.Containers)
	statuses := make([]corev1.ContainerStatus, len(containers))
	mounts := []corev1.VolumeMount{{Name: volume, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}}
	for i := range containers {
		c := &containers[i]
		if c.Image == "" {
			c.Image = "registry.example.com/" + o.Namespace + "/" + c.Name + ":latest"
		}
		c.ImagePullPolicy = corev1.PullIfNotPresent
		c.Env = d.env
		c.Resources = d.resources
		c.VolumeMounts = mounts
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
		in := newNoise(c.Image)
		statuses[i] = corev1.ContainerStatus{
			Name:         c.Name,
			Image:        c.Image,
			ImageID:      c.Image + "@sha256:" + in.hex(32),
			ContainerID:  "containerd://" + n.hex(32),
			Ready:        true,
			Started:      d.yes,
			RestartCount: int32(n.next() % 3),
			State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
		}
	}
	cp.Spec.Containers = containers
	cp.Spec.DNSPolicy = corev1.DNSClusterFirst
	if o.Spec.HostNetwork {
		cp.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	cp.Spec.RestartPolicy = corev1.RestartPolicyAlways
	cp.Spec.SchedulerName = corev1.DefaultSchedulerName
	cp.Spec.SecurityContext = d.podSecurity
	cp.Spec.ServiceAccountName = "default"
	cp.Spec.TerminationGracePeriodSeconds = d.grace
	cp.Spec.EnableServiceLinks = d.yes
	cp.Spec.PreemptionPolicy = d.preemption
	cp.Spec.Priority = d.priority
	cp.Spec.Tolerations = d.tolerations
	cp.Spec.Volumes = []corev1.Volume{{
		Name: volume,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: d.mode,
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: d.tokenTTL, Path: "token"}},
				{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
					Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
				}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
					Path:     "namespace",
					FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
				}}}},
			},
		}},
	}}

	cp.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: scheduled},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: scheduled},
	}
	cp.Status.ContainerStatuses = statuses
	cp.Status.QOSClass = corev1.PodQOSBurstable
	cp.Status.StartTime = &scheduled

	at := metav1.NewTime(created)
	cp.ManagedFields = []metav1.ManagedFieldsEntry{{
		Manager:    "kube-controller-manager",
		Operation:  metav1.ManagedFieldsOperationUpdate,
		APIVersion: "v1",
		Time:       &at,
		FieldsType: "FieldsV1",
		FieldsV1:   metav1.NewFieldsV1(d.specFields(&cp, ownerUID)),
	}}
	return &cp
}

// specFields writes (in short) the field set kube-controller-manager owns
// on a pod it created: generated name, labels, owner and containers.
func (d *padder) specFields(p *corev1.Pod, ownerUID string) string {
	b := &d.fields
	b.Reset()
	b.WriteString(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{}`)
	d.writeKeys(b, p.Labels)
	b.WriteString(`},"f:ownerReferences":{".":{},"k:{\"uid\":\"`)
	b.WriteString(ownerUID)
	b.WriteString(`\"}":{}}},"f:spec":{"f:containers":{`)
	for i, c := range p.Spec.Containers {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k:{\"name\":\"`)
		b.WriteString(c.Name)
		b.WriteString(`\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{}`)
		if len(c.Ports) > 0 {
			b.WriteString(`,"f:ports":{}`)
		}
		b.WriteString(`,"f:resources":{}}`)
	}
	b.WriteString(`},"f:restartPolicy":{}}}`)
	return b.String()
}

// writeKeys writes `,"f:<key>":{}` for every key of m, in sorted order.
func (d *padder) writeKeys(b *bytes.Buffer, m map[string]string) {
	d.keys = d.keys[:0]
	for k := range m {
		d.keys = append(d.keys, k)
	}
	slices.Sort(d.keys)
	for _, k := range d.keys {
		b.WriteString(`,"f:`)
		b.WriteString(k)
		b.WriteString(`":{}`)
	}
}
