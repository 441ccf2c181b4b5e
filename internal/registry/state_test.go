package registry

import "testing"

func TestStateWord(t *testing.T) {
	for st, want := range map[State]string{StateDraft: "проект", StateRegistered: "зарегистрирован",
		StateSigned: "подписан", StateCancelled: "отменён", "archived": "archived"} {
		if got := st.Word(); got != want {
			t.Errorf("%s.Word() = %q, want %q", st, got, want)
		}
	}
}
