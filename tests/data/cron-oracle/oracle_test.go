// The oracle that produced supercronic-cronexpr.tsv: Supercronic's own cron
// parser (its cronexpr package), asked about its own test cases and about a
// few thousand generated expressions. This file is tend's; it is not built by
// tend's build. generate.sh copies Supercronic's cronexpr package into a
// temporary directory outside the repository, adds this file to it as a test
// of that package (so it can read the package's `crontests` table) and runs it
// with Debian's Go, offline. See generate.sh for the exact steps.
//
// Each row: origin, expression, from (UTC), answer, note.
//   answer  "refused" (ParseStrict returned an error), "none" (Next found no
//           run), or up to three runs, each strictly after the one before.
//   note    "never" when the expression has no run at all (from 1970-01-01);
//           "bug:..." where tend deliberately differs (see the unit test
//           tests/unit/test_cron_conformance.cpp).
package cronexpr

import (
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const runsPerRow = 3

func oracleAnswer(expression string, from time.Time) (answer string) {
	// Next panics on some expressions it accepted (an index out of range):
	// Supercronic would crash at that job's first tick.
	defer func() {
		if recover() != nil {
			answer = "panic"
		}
	}()
	expr, err := ParseStrict(expression)
	if err != nil {
		return "refused"
	}
	runs := []string{}
	at := from
	for i := 0; i < runsPerRow; i++ {
		at = expr.Next(at)
		if at.IsZero() {
			break
		}
		runs = append(runs, at.UTC().Format(time.RFC3339))
	}
	if len(runs) == 0 {
		return "none"
	}
	return strings.Join(runs, " ")
}

// The day-of-week field of a 5-, 6- or 7-field expression, or "".
func dowField(expression string) string {
	fields := strings.Fields(expression)
	switch len(fields) {
	case 5, 6:
		return fields[4]
	case 7:
		return fields[5]
	}
	return ""
}

var (
	// `01`..`06` as a day of week (alone, in a range, before L or #): the
	// parser accepts them and its name table maps them to Sunday.
	paddedWeekday = regexp.MustCompile(`(^|[,-])0[1-6]([-,#lL/]|$)`)
	// A day-of-week range from 0 to 7 (0-7, 00-07, 0-7/2): accepted as
	// Sunday alone; every other x-7 range is refused.
	rangeToSeven = regexp.MustCompile(`(^|,)0?0-0?7(/|,|$)`)
)

func note(expression string, answer string) string {
	dow := strings.ToLower(dowField(expression))
	if paddedWeekday.MatchString(dow) {
		return "bug:padded-weekday"
	}
	if answer == "refused" {
		return ""
	}
	if answer == "panic" {
		return "bug:panics"
	}
	if rangeToSeven.MatchString(dow) {
		return "bug:weekday-range-to-7"
	}
	if hasBackwardSteppedRange(expression) {
		return "bug:backward-stepped-range"
	}
	if oracleAnswer(expression, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)) == "none" {
		return "never"
	}
	return ""
}

var steppedRange = regexp.MustCompile(`^([0-9a-z]+)-([0-9a-z]+)/[0-9]+$`)

// The value of a number or name as the parser reads it (day of week 7 is 0).
func valueOf(kind string, text string) int {
	names := map[string][]string{"month": months, "monthL": monthsL, "dow": weekdays, "dowL": weekdL}
	for _, list := range []string{kind, kind + "L"} {
		for i, name := range names[list] {
			if text == name {
				if kind == "month" {
					return i + 1
				}
				return i
			}
		}
	}
	v, _ := strconv.Atoi(text)
	if kind == "dow" && v == 7 {
		v = 0
	}
	return v
}

// An item `A-B/S` with B before A: Supercronic's parser takes it, adds no
// value for it (the field is empty when nothing else is in it: a crash in
// Next or no run at all); tend refuses it.
func hasBackwardSteppedRange(expression string) bool {
	fields := strings.Fields(strings.ToLower(expression))
	kinds := map[int][]string{
		5: {"minute", "hour", "dom", "month", "dow"},
		6: {"minute", "hour", "dom", "month", "dow", "year"},
		7: {"second", "minute", "hour", "dom", "month", "dow", "year"},
	}[len(fields)]
	for i, kind := range kinds {
		for _, item := range strings.Split(fields[i], ",") {
			if m := steppedRange.FindStringSubmatch(item); m != nil && valueOf(kind, m[2]) < valueOf(kind, m[1]) {
				return true
			}
		}
	}
	return false
}

type fieldShape struct {
	min, max int
	names    []string // index = value - min
	full     []string
}

var (
	months   = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	monthsL  = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	weekdL   = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

	second = fieldShape{0, 59, nil, nil}
	minute = fieldShape{0, 59, nil, nil}
	hour   = fieldShape{0, 23, nil, nil}
	dom    = fieldShape{1, 31, nil, nil}
	month  = fieldShape{1, 12, months, monthsL}
	dow    = fieldShape{0, 7, weekdays, weekdL}
	year   = fieldShape{2020, 2040, nil, nil}
)

type generator struct{ r *rand.Rand }

func (g generator) caseOf(s string) string {
	switch g.r.Intn(4) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func (g generator) value(f fieldShape) string {
	v := f.min + g.r.Intn(f.max-f.min+1)
	switch n := g.r.Intn(40); {
	case n < 3 && f.names != nil && v-f.min < len(f.names):
		return g.caseOf(f.names[v-f.min])
	case n < 5 && f.full != nil && v-f.min < len(f.full):
		return g.caseOf(f.full[v-f.min])
	case n < 7 && v < 10:
		return fmt.Sprintf("0%d", v)
	case n == 7:
		return fmt.Sprint(f.max + 1 + g.r.Intn(3)) // out of range
	case n == 8 && f.min > 0:
		return "0"
	}
	return fmt.Sprint(v)
}

func (g generator) step(f fieldShape) string {
	switch n := g.r.Intn(30); {
	case n == 0:
		return "0"
	case n == 1:
		return fmt.Sprint(f.max - f.min + 1 + g.r.Intn(3))
	case n == 2:
		return fmt.Sprintf("0%d", 1+g.r.Intn(9))
	}
	span := f.max - f.min
	if span > 15 {
		span = 15
	}
	return fmt.Sprint(1 + g.r.Intn(span))
}

func (g generator) item(f fieldShape, kind string) string {
	switch n := g.r.Intn(40); {
	case n < 4 || n >= 20:
		return g.value(f)
	case n < 7:
		a, b := g.value(f), g.value(f)
		return a + "-" + b
	case n < 9:
		return "*/" + g.step(f)
	case n < 10:
		return g.value(f) + "/" + g.step(f)
	case n < 12:
		return g.value(f) + "-" + g.value(f) + "/" + g.step(f)
	case n < 15 && kind == "dom":
		return []string{"L", "l", "LW", "lw", g.value(f) + "W", g.value(f) + "w", "W", "L5"}[g.r.Intn(8)]
	case n < 15 && kind == "dow":
		k := 1 + g.r.Intn(6)
		return []string{g.value(f) + "L", g.value(f) + "l", fmt.Sprintf("%s#%d", g.value(f), k), "L", "#2"}[g.r.Intn(5)]
	case n == 15:
		return []string{"x", "5-", "-5", "*/", "1-2-3", "5/", "**", "*5", ""}[g.r.Intn(9)]
	}
	return g.value(f)
}

func (g generator) field(f fieldShape, kind string) string {
	switch n := g.r.Intn(10); {
	case n < 4:
		return "*"
	case n == 4:
		return "?"
	case n < 8:
		return g.item(f, kind)
	}
	items := []string{}
	for i := 0; i < 2+g.r.Intn(2); i++ {
		items = append(items, g.item(f, kind))
	}
	return strings.Join(items, ",")
}

func (g generator) yearField() string {
	switch g.r.Intn(8) {
	case 0:
		return "*"
	case 1:
		return fmt.Sprint(1970 + g.r.Intn(60)) // may be past
	case 2:
		return fmt.Sprint(2026 + g.r.Intn(20))
	case 3:
		return fmt.Sprintf("%d-%d", 2024+g.r.Intn(5), 2026+g.r.Intn(10))
	case 4:
		return fmt.Sprintf("%d/%d", 2024+g.r.Intn(5), 1+g.r.Intn(4))
	case 5:
		return fmt.Sprintf("%d,%d", 2027+g.r.Intn(5), 2031+g.r.Intn(5))
	case 6:
		return fmt.Sprint(2100 + g.r.Intn(5)) // out of range
	}
	return "?"
}

func (g generator) expression() string {
	if g.r.Intn(25) == 0 {
		return []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly", "@midnight", "@reboot", "@Daily", "@every"}[g.r.Intn(10)]
	}
	five := []string{g.field(minute, ""), g.field(hour, ""), g.field(dom, "dom"), g.field(month, ""), g.field(dow, "dow")}
	switch n := g.r.Intn(20); {
	case n < 9:
		return strings.Join(five, " ")
	case n < 13:
		return strings.Join(append(five, g.yearField()), " ")
	case n < 18:
		return g.field(second, "") + " " + strings.Join(append(five, g.yearField()), " ")
	case n == 18:
		return strings.Join(five[:4], " ")
	}
	return g.field(second, "") + " " + strings.Join(append(five, g.yearField(), "*"), " ")
}

func (g generator) from() time.Time {
	t := time.Date(2012+g.r.Intn(24), time.Month(1+g.r.Intn(12)), 1+g.r.Intn(28), g.r.Intn(24), g.r.Intn(60), g.r.Intn(60), 0, time.UTC)
	if g.r.Intn(3) == 0 {
		t = t.Truncate(time.Hour)
	}
	return t
}

func TestOracle(t *testing.T) {
	path := os.Getenv("ORACLE_OUT")
	if path == "" {
		t.Skip("ORACLE_OUT not set")
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	fmt.Fprintf(out, "# %s\n", os.Getenv("ORACLE_HEADER"))
	fmt.Fprintln(out, "# origin\texpression\tfrom\tanswer\tnote")
	row := func(origin, expression string, from time.Time) {
		answer := oracleAnswer(expression, from)
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n", origin, expression, from.UTC().Format(time.RFC3339), answer, note(expression, answer))
	}
	// Supercronic's own cases (its cronexpr_test.go), read as it reads them.
	for _, test := range crontests {
		for _, times := range test.times {
			from, _ := time.Parse("2006-01-02 15:04:05", times.from)
			row("supercronic", test.expr, from)
		}
	}
	for _, c := range []struct{ expr, from string }{
		{"* * * * * 1980", "2013-08-31 00:00:00"}, {"* * * * * 2050", "2013-08-31 00:00:00"},
		{"11 1 31 2 * *", "2013-08-31 00:00:00"}, {"0 0 * * 6#5", "2013-09-02 08:44:30"},
		{"*/5 * * * *", "2013-09-02 08:44:32"}, {"* * * * * * * * *", "2013-09-02 08:44:32"},
		{"*/60 * * * * *", "2013-09-02 08:44:32"}, {"0 0 31 12 * 2099", "2099-12-31 00:00:00"},
	} {
		from, _ := time.Parse("2006-01-02 15:04:05", c.from)
		row("supercronic", c.expr, from)
	}
	// Hand-picked: the forms tend must carry over, and the known differences.
	for _, e := range []string{
		"0 0 28 02 * *", "*/5 * * * * *", "* * * * * 2050", "0 0 L * *", "0 0 LW * *", "0 0 15W * *",
		"0 0 1W * *", "0 0 31W * *", "0 0 * * 5L", "0 0 * * fril", "0 0 * * 6#5", "0 0 * * friday", "0 0 1 january *",
		"0 0 13 * fri", "0 0 ? * mon-fri", "*/10 * * * * * *", "0 30 9 * * mon-fri 2027", "0 0 * * 05",
		"0 0 * * 0-7", "0 0 * * 1-7", "0 0 30 2 *", "0 0 * * 7", "0 0 * * */7", "*/0 * * * *",
		"0 0 29 2 * 2027", "0 0 * * 1#6", "@hourly", "@daily", "@midnight", "@reboot", "@every 5m", "60 * * * *",
		"0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "* * * * * 1969", "* * * * * 2100", "5-1 * * * *",
		"1,,2 * * * *", ",5 * * * *", "0 0 l * *", "0 0 L,15 * *", "0 0 1 * 1", "0 0 1,15 * 1", "0 0 */2 * 1",
	} {
		for _, from := range []string{"2026-02-26 13:45:10", "2027-12-31 23:59:59"} {
			at, _ := time.Parse("2006-01-02 15:04:05", from)
			row("tend", e, at)
		}
	}
	g := generator{rand.New(rand.NewSource(20))}
	for i := 0; i < 4000; i++ {
		e := g.expression()
		row("generated", e, g.from())
		row("generated", e, g.from())
	}
}
