package tcp

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFlagsText(t *testing.T) {
	for _, tc := range []struct {
		f              Flags
		names, letters string
	}{
		{0, "", "none"},
		{SYN, "SYN", "S"},
		{SYN | ACK, "SYN|ACK", "S."},
		{ACK | PSH, "ACK|PSH", "P."},
		{FIN | ACK, "ACK|FIN", "F."},
		{RST, "RST", "R"},
		{FIN | SYN | RST | PSH | ACK | URG | ECE | CWR | NS, "SYN|ACK|PSH|FIN|RST|URG|ECE|CWR|NS", "SFPRUEW."},
		{NS, "NS", "none"},
	} {
		if got := tc.f.String(); got != tc.names {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint16(tc.f), got, tc.names)
		}
		if got := tc.f.Short(); got != tc.letters {
			t.Errorf("Flags(%#x).Short() = %q, want %q", uint16(tc.f), got, tc.letters)
		}
		want := "[]"
		if tc.names != "" {
			want = `["` + strings.ReplaceAll(tc.names, "|", `","`) + `"]`
		}
		if got, _ := json.Marshal(tc.f); string(got) != want {
			t.Errorf("json.Marshal(Flags(%#x)) = %s, want %s", uint16(tc.f), got, want)
		}
	}
}

func TestFlagsHasAny(t *testing.T) {
	f := SYN | ACK
	if !f.Has(SYN) || !f.Has(SYN|ACK) || f.Has(SYN|FIN) {
		t.Errorf("Has is not 'every flag of'")
	}
	if !f.Any(SYN|FIN) || f.Any(FIN|RST) {
		t.Errorf("Any is not 'one flag of'")
	}
}

func TestClassText(t *testing.T) {
	for i := 0; i < NumClasses; i++ {
		c := Class(1 << i)
		if c.Name() == "" || c.Name() != c.String() || strings.ContainsAny(c.Name(), ", ") {
			t.Errorf("class bit %d: Name %q, String %q", i, c.Name(), c.String())
		}
	}
	c := ClassDupAck | ClassRetransmission | ClassZeroWindow
	if got, want := c.String(), "retransmission,dup_ack,zero_window"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if c.Name() != "" {
		t.Errorf("Name() of three classes = %q, want \"\"", c.Name())
	}
	if got, _ := json.Marshal(c); string(got) != `["retransmission","dup_ack","zero_window"]` {
		t.Errorf("json.Marshal = %s", got)
	}
	if got, _ := json.Marshal(Class(0)); string(got) != `[]` {
		t.Errorf("json.Marshal(0) = %s, want []", got)
	}
	if !c.Has(ClassZeroWindow) || c.Has(ClassZeroWindow|ClassKeepAlive) {
		t.Errorf("Has is not 'every class of'")
	}
}

// TestAppendLettersEveryCombination checks tcpdump's letters for every set of the eight
// flags it shows: S F P R U E W in that order, then "." for ACK, "none" for no flag.
func TestAppendLettersEveryCombination(t *testing.T) {
	order := []struct {
		f Flags
		c string
	}{{SYN, "S"}, {FIN, "F"}, {PSH, "P"}, {RST, "R"}, {URG, "U"}, {ECE, "E"}, {CWR, "W"}, {ACK, "."}}
	for m := 0; m < 1<<len(order); m++ {
		var f Flags
		want := ""
		for i, x := range order {
			if m&(1<<i) != 0 {
				f |= x.f
				want += x.c
			}
		}
		if want == "" {
			want = "none"
		}
		if got := string(f.AppendLetters([]byte("x"))); got != "x"+want {
			t.Errorf("Flags(%v).AppendLetters(\"x\") = %q, want %q", f, got, "x"+want)
		}
	}
}
