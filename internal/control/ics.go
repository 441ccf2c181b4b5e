package control

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"orders/internal/registry"
)

// Calendar writes the iCalendar (RFC 5545) of person's control deadlines: one all-day event
// per dated item on its due day. An executed item stays, marked «Исполнено», so a calendar
// shows what was done as well as what is left; undated items have no day and are left out.
// No library: the Go proxy serves none that fits, and the subset used here is small enough
// to write exactly (CRLF lines folded at 75 octets between characters, TEXT escaped).
func Calendar(person string, items []registry.ControlItem, now time.Time) []byte {
	var b bytes.Buffer
	line := func(name, value string) { fold(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//ordersd//Контроль исполнения//RU")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", text("Контроль исполнения: "+person))
	line("X-WR-TIMEZONE", "Europe/Moscow")
	stamp := now.UTC().Format("20060102T150405Z")
	for _, c := range items {
		if c.Due == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, c.Due)
		if err != nil {
			continue
		}
		summary := "Срок: п. " + c.Clause + " приказа № " + c.OrderNumber
		if c.DoneAt != nil {
			summary = "Исполнено: п. " + c.Clause + " приказа № " + c.OrderNumber
		}
		desc := "Приказ № " + c.OrderNumber + " от " + ruDate(c.OrderDate) + " «" + c.OrderTitle + "»\n" +
			"п. " + c.Clause + ". " + c.Text + "\nОтветственный: " + c.Responsible + "\nСрок: " + c.Deadline
		if c.DoneAt != nil {
			desc += "\nИсполнено " + c.DoneAt.Format("02.01.2006") + " (" + c.DoneBy + ")"
			if c.DoneNote != "" {
				desc += ": " + c.DoneNote
			}
		}
		line("BEGIN", "VEVENT")
		line("UID", c.ID.String()+"@ordersd")
		line("DTSTAMP", stamp)
		line("DTSTART;VALUE=DATE", day.Format("20060102"))
		line("DTEND;VALUE=DATE", day.AddDate(0, 0, 1).Format("20060102"))
		line("SUMMARY", text(summary))
		line("DESCRIPTION", text(desc))
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

func ruDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02.01.2006")
}

// text escapes a TEXT value (RFC 5545 §3.3.11).
var textEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func text(s string) string { return textEscaper.Replace(s) }

// fold writes a content line folded so no line exceeds 75 octets (RFC 5545 §3.1), never
// inside a UTF-8 sequence, each line ended by CRLF.
func fold(b *bytes.Buffer, s string) {
	const limit = 75
	width := limit
	for len(s) > width {
		cut := width
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		width = limit - 1 // the leading space of a continuation counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
