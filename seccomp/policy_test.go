package seccomp

import (
	"bytes"
	"reflect"
	"testing"
)

// TestPolicyKeyCoversEveryField sets each field of Policy in turn: every
// one must change the key, or a cached program of one policy would serve
// another. A field added to Policy without a place in the key fails here.
func TestPolicyKeyCoversEveryField(t *testing.T) {
	zero := Policy{}.AppendKey(nil)
	seen := map[string]string{string(zero): "the zero policy"}
	typ := reflect.TypeOf(Policy{})
	for i := range typ.NumField() {
		var p Policy
		f := reflect.ValueOf(&p).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"x"}))
		default:
			t.Fatalf("field %s: kind %s is not known to this test", typ.Field(i).Name, f.Kind())
		}
		key := string(p.AppendKey(nil))
		if other, ok := seen[key]; ok {
			t.Errorf("setting %s gives the key of %s", typ.Field(i).Name, other)
		}
		seen[key] = typ.Field(i).Name
	}
}

func TestPolicyKeysDiffer(t *testing.T) {
	tests := []struct {
		name string
		a, b Policy
	}{
		{"joined names", Policy{Allow: []string{"a", "b"}}, Policy{Allow: []string{"ab"}}},
		{"allow or deny", Policy{Allow: []string{"a"}}, Policy{Deny: []string{"a"}}},
		{"name moved between lists", Policy{Allow: []string{"a", "b"}}, Policy{Allow: []string{"a"}, Deny: []string{"b"}}},
		{"base or action", Policy{Base: "none"}, Policy{Action: "none"}},
		{"empty name", Policy{Allow: []string{""}}, Policy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.a.AppendKey(nil), tt.b.AppendKey(nil)) {
				t.Errorf("%+v and %+v have the same key", tt.a, tt.b)
			}
		})
	}
	same := Policy{Base: "default", Allow: []string{"ptrace"}}
	if !bytes.Equal(same.AppendKey(nil), same.AppendKey([]byte{})) {
		t.Error("the key of one policy changed between calls")
	}
}
