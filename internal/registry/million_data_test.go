package registry_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// The registry of a large region after five years: what BenchmarkMillion seeds. Everything is
// made from a fixed seed, so every run and both drivers hold the same orders.

// seedOrg is one organization of the region; weight is its share of the orders.
type seedOrg struct {
	id, name, head string
	weight         float64
}

var seedOrgs = []seedOrg{
	{"org-minobr", "Министерство образования", "Зубова А.Н.", 0.30},
	{"org-zdrav", "Министерство здравоохранения", "Лебедев С.В.", 0.20},
	{"org-univ", "Государственный университет", "Соловьёв П.Е.", 0.15},
	{"org-iro", "Институт развития образования", "Козлова Е.М.", 0.12},
	{"org-college", "Педагогический колледж", "Морозов Д.А.", 0.10},
	{"org-school12", "Средняя школа № 12", "Петрова Н.И.", 0.08},
	{"org-library", "Областная научная библиотека", "Новикова Т.Г.", 0.05},
}

// seedJournals: main activity, personnel and administrative matters, as most offices keep them.
var seedJournals = []struct{ id, name, format string }{
	{"osn", "По основной деятельности", "{seq}"},
	{"ls", "По личному составу", "{seq}-к"},
	{"ahd", "По административно-хозяйственной деятельности", "{seq}-ахд"},
}

const (
	seedFirstYear = 2021
	seedYears     = 5
)

// Names in the cases the texts need them.
var (
	surnamesM = []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Фёдоров",
		"Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
		"Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев"}
	initials = []string{"А.А.", "А.Н.", "В.П.", "Д.С.", "Е.В.", "И.И.", "К.М.", "М.Ю.", "Н.Г.", "О.Л.", "П.Е.", "С.В.", "Т.Б."}
	cities   = []string{"Москву", "Санкт-Петербург", "Казань", "Нижний Новгород", "Екатеринбург", "Новосибирск",
		"Самару", "Ярославль", "Тверь", "Калугу"}
)

// person returns a name in the genitive, dative and nominative, e.g. «Соколовой Е.В.».
func person(r *rand.Rand) (gen, dat, nom string) {
	s := surnamesM[r.IntN(len(surnamesM))]
	in := initials[r.IntN(len(initials))]
	if r.IntN(2) == 0 { // feminine
		return s + "ой " + in, s + "ой " + in, s + "а " + in
	}
	return s + "а " + in, s + "у " + in, s + " " + in
}

// Topics of the main activity: the nominative-free forms titles and texts use.
var topics = []struct{ gen, prep, dat string }{
	{"стажировочных площадок", "стажировочных площадках", "стажировочным площадкам"},
	{"регионального этапа всероссийской олимпиады школьников", "региональном этапе всероссийской олимпиады школьников", "региональному этапу всероссийской олимпиады школьников"},
	{"курсов повышения квалификации педагогических работников", "курсах повышения квалификации педагогических работников", "курсам повышения квалификации педагогических работников"},
	{"государственной итоговой аттестации", "государственной итоговой аттестации", "государственной итоговой аттестации"},
	{"летней оздоровительной кампании", "летней оздоровительной кампании", "летней оздоровительной кампании"},
	{"диспансеризации работников", "диспансеризации работников", "диспансеризации работников"},
	{"конкурса профессионального мастерства", "конкурсе профессионального мастерства", "конкурсу профессионального мастерства"},
	{"приёмной кампании", "приёмной кампании", "приёмной кампании"},
	{"противодействия коррупции", "противодействии коррупции", "противодействию коррупции"},
	{"защиты персональных данных", "защите персональных данных", "защите персональных данных"},
	{"пожарной безопасности", "пожарной безопасности", "пожарной безопасности"},
	{"охраны труда", "охране труда", "охране труда"},
	{"документооборота и делопроизводства", "документообороте и делопроизводстве", "документообороту и делопроизводству"},
	{"информационной безопасности", "информационной безопасности", "информационной безопасности"},
	{"научно-практической конференции", "научно-практической конференции", "научно-практической конференции"},
	{"инновационных образовательных программ", "инновационных образовательных программах", "инновационным образовательным программам"},
	{"аккредитации образовательных программ", "аккредитации образовательных программ", "аккредитации образовательных программ"},
	{"мониторинга качества образования", "мониторинге качества образования", "мониторингу качества образования"},
	{"закупок товаров, работ и услуг", "закупках товаров, работ и услуг", "закупкам товаров, работ и услуг"},
	{"инвентаризации имущества", "инвентаризации имущества", "инвентаризации имущества"},
}

var laws = []string{
	"Федеральным законом от 29.12.2012 № 273-ФЗ «Об образовании в Российской Федерации»",
	"Трудовым кодексом Российской Федерации",
	"Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных»",
	"Федеральным законом от 25.12.2008 № 273-ФЗ «О противодействии коррупции»",
	"Федеральным законом от 05.04.2013 № 44-ФЗ «О контрактной системе в сфере закупок»",
	"постановлением Правительства области от 14.03.2019 № 112-п",
	"Уставом учреждения",
	"планом работы на текущий год",
}

var goals = []string{
	"повышения качества образования", "обеспечения единого подхода к организации работы",
	"реализации государственной программы «Развитие образования»", "совершенствования системы управления",
	"исполнения поручений Губернатора области", "обеспечения безопасности работников и обучающихся",
	"организации эффективного взаимодействия структурных подразделений", "выполнения государственного задания",
}

// seedText makes the title and the text of one order of journal j.
func seedText(r *rand.Rand, j int, year int) (title, text string) {
	gen, dat, nom := person(r)
	t := topics[r.IntN(len(topics))]
	var b strings.Builder
	switch j {
	case 1: // personnel
		switch r.IntN(5) {
		case 0:
			title = "О приёме на работу " + gen
			fmt.Fprintf(&b, "Принять %s на должность %s с %d.%02d.%d с испытательным сроком три месяца. ", gen,
				[]string{"методиста", "специалиста", "преподавателя", "главного специалиста", "ведущего консультанта"}[r.IntN(5)],
				1+r.IntN(28), 1+r.IntN(12), year)
		case 1:
			title = "О предоставлении ежегодного оплачиваемого отпуска " + dat
			fmt.Fprintf(&b, "Предоставить %s ежегодный основной оплачиваемый отпуск продолжительностью %d календарных дней. ", dat, 14+r.IntN(15))
		case 2:
			title = "О направлении в командировку " + gen
			fmt.Fprintf(&b, "Направить %s в командировку в %s для участия в совещании по вопросам %s. ", gen, cities[r.IntN(len(cities))], t.gen)
		case 3:
			title = "Об увольнении " + gen
			fmt.Fprintf(&b, "Прекратить действие трудового договора и уволить %s по собственному желанию. ", gen)
		default:
			title = "О поощрении работников"
			fmt.Fprintf(&b, "Объявить благодарность работникам за многолетний добросовестный труд и вклад в организацию %s. ", t.gen)
		}
		fmt.Fprintf(&b, "Основание: личное заявление %s. Отделу кадров внести запись в личную карточку работника. ", gen)
		fmt.Fprintf(&b, "Бухгалтерии произвести расчёт в установленном порядке. С приказом ознакомить %s под подпись.", gen)
	case 2: // administrative
		title = []string{"О проведении инвентаризации имущества", "О назначении ответственного за " + t.dat,
			"Об утверждении графика дежурств", "О подготовке зданий к отопительному сезону"}[r.IntN(4)]
		fmt.Fprintf(&b, "В целях %s ПРИКАЗЫВАЮ: 1. Назначить ответственным %s. ", goals[r.IntN(len(goals))], nom)
		fmt.Fprintf(&b, "2. Провести проверку состояния помещений и оборудования до %d.%02d.%d. ", 1+r.IntN(28), 1+r.IntN(12), year)
		b.WriteString("3. Контроль за исполнением настоящего приказа оставляю за собой.")
	default: // main activity
		switch r.IntN(6) {
		case 0:
			title = "О проведении " + t.gen
		case 1:
			title = "Об утверждении положения о " + t.prep
		case 2:
			title = "О создании рабочей группы по " + t.dat
		case 3:
			title = fmt.Sprintf("Об организации %s в %d году", t.gen, year)
		case 4:
			title = fmt.Sprintf("О внесении изменений в приказ от %d.%02d.%d № %d", 1+r.IntN(28), 1+r.IntN(12), year, 1+r.IntN(900))
		default:
			title = "Об итогах " + t.gen
		}
		fmt.Fprintf(&b, "В соответствии с %s, в целях %s ПРИКАЗЫВАЮ: ", laws[r.IntN(len(laws))], goals[r.IntN(len(goals))])
		fmt.Fprintf(&b, "1. Утвердить прилагаемый план мероприятий по вопросам %s на %d год. ", t.gen, year)
		fmt.Fprintf(&b, "2. Назначить ответственным за организацию %s %s. ", t.gen, nom)
		fmt.Fprintf(&b, "3. Руководителям структурных подразделений обеспечить участие работников и представить отчёт до %d.%02d.%d. ",
			1+r.IntN(28), 1+r.IntN(12), year)
		b.WriteString("4. Контроль за исполнением настоящего приказа возложить на заместителя руководителя.")
	}
	return title, b.String()
}

// seedOrder is one seeded order: the record as the registry would hold it.
type seedOrder struct {
	registry.Order
	DocText string // the plain text (Order.SearchText)
}

// seedGen makes the orders of the registry in creation order.
type seedGen struct {
	n        int
	r        *rand.Rand
	workdays []time.Time
	counters map[[3]string]int // org, journal, year → last seq
}

func newSeedGen(n int) *seedGen {
	g := &seedGen{n: n, r: rand.New(rand.NewPCG(2026, 12)), counters: make(map[[3]string]int)}
	for d := time.Date(seedFirstYear, 1, 9, 0, 0, 0, 0, time.UTC); d.Year() < seedFirstYear+seedYears; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			g.workdays = append(g.workdays, d)
		}
	}
	return g
}

// uuidV7 makes a version 7 UUID of time t, as PrepareOrder's would be.
func uuidV7(r *rand.Rand, t time.Time) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	binary.BigEndian.PutUint64(u[0:], uint64(t.UnixMilli())<<16|uint64(r.Uint32()&0xffff))
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

func pickOrg(r *rand.Rand) int {
	x := r.Float64()
	for i, o := range seedOrgs {
		if x < o.weight {
			return i
		}
		x -= o.weight
	}
	return len(seedOrgs) - 1
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// order makes the i-th order (0-based; creation order). The last orders are the ones still in
// work: a few queued for rendering and in drafting.
func (g *seedGen) order(i int) seedOrder {
	r := g.r
	w := len(g.workdays)
	d := i * w / g.n
	day := g.workdays[d]
	first := (d*g.n + w - 1) / w // the first order of this day…
	// …spread over the working hours, so created_at grows with i.
	perDay := g.n/len(g.workdays) + 1
	created := day.Add(8*time.Hour + time.Duration(i-first)*10*time.Hour/time.Duration(perDay)).Add(time.Duration(r.IntN(1000)) * time.Microsecond)
	orgIdx := pickOrg(r)
	org := seedOrgs[orgIdx]
	x := r.Float64()
	j := 0
	switch {
	case x < 0.30:
		j = 1
	case x < 0.40:
		j = 2
	}
	year := day.Year()
	title, text := seedText(r, j, year)
	o := seedOrder{DocText: text}
	o.ID = uuidV7(r, created)
	o.OrgID = org.id
	o.Kind = "приказ"
	if r.IntN(10) == 0 {
		o.Kind = "распоряжение"
	}
	o.Title = title
	o.SearchText = text
	draft, _ := json.Marshal(map[string]any{"kind": o.Kind, "title": title, "text": text, "org": org.name, "signatory": org.head})
	o.Draft = draft
	o.DraftHash = sha(string(draft))
	if r.IntN(10) < 7 {
		o.IdempotencyKey = fmt.Sprintf("%s-%d", o.ID.String()[24:], i)
	}
	o.CreatedAt = created
	rendered := created.Add(time.Duration(2+r.IntN(30)) * time.Second)
	o.Attempts = 1
	o.Status = registry.StatusRendered
	o.RenderedAt = &rendered
	o.UpdatedAt = rendered
	recent := g.n - i
	s := r.Float64()
	switch {
	case recent <= 25: // just submitted
		o.State, o.Status, o.RenderedAt, o.Attempts, o.UpdatedAt = registry.StateDraft, registry.StatusQueued, nil, 0, created
	case recent <= 2000 && s < 0.3 || s < 0.05:
		o.State = registry.StateDraft
		if r.IntN(200) == 0 {
			o.Status, o.Error, o.RenderedAt = registry.StatusFailed, "шаблон: не найден шрифт", nil
		}
	default:
		o.State = registry.StateRegistered
		o.Journal = seedJournals[j].id
		key := [3]string{org.id, o.Journal, fmt.Sprint(year)}
		g.counters[key]++
		o.Seq = g.counters[key]
		o.Number = strings.Replace(seedJournals[j].format, "{seq}", fmt.Sprint(o.Seq), 1)
		o.Date = day.Format(time.DateOnly)
		reg := created.Add(time.Duration(5+r.IntN(120)) * time.Minute)
		o.RegisteredAt = &reg
		rr := reg.Add(20 * time.Second)
		o.RenderedAt, o.UpdatedAt = &rr, rr
		if s < 0.93 || recent > 5000 && s < 0.97 {
			signed := reg.Add(time.Duration(10+r.IntN(300)) * time.Minute)
			o.State, o.SignedAt, o.Signatory = registry.StateSigned, &signed, org.head
			o.SignedKey = "signed/" + o.ID.String()
			o.SignedSHA256, o.SignedSize = sha(o.SignedKey), int64(60000+r.IntN(40000))
			o.UpdatedAt = signed
		}
		if s > 0.98 {
			c := o.UpdatedAt.Add(time.Duration(1+r.IntN(30)) * 24 * time.Hour)
			o.State, o.CancelledAt, o.CancelReason, o.CancelledBy = registry.StateCancelled, &c, "издан ошибочно", org.head
			o.PrintRev = 1
			o.UpdatedAt = c
		}
	}
	if o.Status == registry.StatusRendered {
		h := sha(o.ID.String() + o.DraftHash)
		o.PDFKey, o.PDFSHA256, o.PDFSize = "pdf/"+h, h, int64(40000+r.IntN(20000))
		o.DOCXKey, o.DOCXSHA256, o.DOCXSize = "docx/"+h, h, int64(15000+r.IntN(10000))
	}
	return o
}
