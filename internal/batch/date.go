package batch

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	reDotDate = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$`)
	reISODate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	reSerial  = regexp.MustCompile(`^\d{1,7}([.,]\d+)?$`)
	reVerbal  = regexp.MustCompile(`^(\d{1,2})\s+(\p{L}+)\s+(\d{4})$`)
	// A date cell formatted with time (24.08.2021 0:00) is still a date.
	reTimeTail = regexp.MustCompile(`\s+\d{1,2}:\d{2}(:\d{2})?$`)
	// «24.08.2021 г.», «24 августа 2021 года», «« 24 » августа 2021» as printed in orders.
	reYearWord = regexp.MustCompile(`\s*(г\.?|года)$`)
)

var months = map[string]time.Month{}

func init() {
	for i, names := range [][]string{
		{"января", "январь", "january", "jan"}, {"февраля", "февраль", "february", "feb"},
		{"марта", "март", "march", "mar"}, {"апреля", "апрель", "april", "apr"},
		{"мая", "май", "may"}, {"июня", "июнь", "june", "jun"}, {"июля", "июль", "july", "jul"},
		{"августа", "август", "august", "aug"}, {"сентября", "сентябрь", "september", "sep"},
		{"октября", "октябрь", "october", "oct"}, {"ноября", "ноябрь", "november", "nov"},
		{"декабря", "декабрь", "december", "dec"},
	} {
		for _, n := range names {
			months[n] = time.Month(i + 1)
		}
	}
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts after 1900-02-28 (it
// believes 1900 was a leap year), which is the only range an order date can be in.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads a date as a clerk types it or a spreadsheet shows it and returns it as
// YYYY-MM-DD, the form of a draft's date: 24.08.2021, 24.08.21, 2021-08-24, an Excel
// serial number (44432), «24 августа 2021 г.».
func parseDate(s string) (string, bool) {
	// The common case, checked for every row of a batch, without the regular expressions.
	if len(s) == 10 && s[2] == '.' && s[5] == '.' {
		if d, err1 := strconv.Atoi(s[:2]); err1 == nil {
			if m, err2 := strconv.Atoi(s[3:5]); err2 == nil {
				if y, err3 := strconv.Atoi(s[6:]); err3 == nil {
					return checkDate(y, m, d)
				}
			}
		}
	}
	s = strings.TrimSpace(s)
	s = reTimeTail.ReplaceAllString(s, "")
	s = strings.TrimSpace(reYearWord.ReplaceAllString(s, ""))
	s = strings.NewReplacer("«", " ", "»", " ", "\"", " ").Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	var y, m, d int
	switch {
	case reDotDate.MatchString(s):
		p := reDotDate.FindStringSubmatch(s)
		d, _ = strconv.Atoi(p[1])
		m, _ = strconv.Atoi(p[2])
		y, _ = strconv.Atoi(p[3])
		if len(p[3]) == 2 {
			y += 2000
		}
	case reISODate.MatchString(s):
		p := reISODate.FindStringSubmatch(s)
		y, _ = strconv.Atoi(p[1])
		m, _ = strconv.Atoi(p[2])
		d, _ = strconv.Atoi(p[3])
	case reSerial.MatchString(s):
		n, _ := strconv.Atoi(strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ',' })[0])
		// Serials before 1900-03-01 are where Excel's calendar is wrong; after 9999 there is none.
		if n < 61 || n > 2958465 {
			return "", false
		}
		return excelEpoch.AddDate(0, 0, n).Format(time.DateOnly), true
	case reVerbal.MatchString(s):
		p := reVerbal.FindStringSubmatch(s)
		mon, ok := months[strings.ToLower(p[2])]
		if !ok {
			return "", false
		}
		d, _ = strconv.Atoi(p[1])
		m = int(mon)
		y, _ = strconv.Atoi(p[3])
	default:
		return "", false
	}
	return checkDate(y, m, d)
}

func checkDate(y, m, d int) (string, bool) {
	if y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31.02 normalizes to March: not a date
		return "", false
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), true
}
