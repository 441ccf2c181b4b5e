package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/order"
	"orders/internal/refusal"
	"orders/internal/registry"
	"orders/internal/ru"
)

// Registration asks for a draft's number: the journal, the date (YYYY-MM-DD; "" is today in
// Moscow) and the Idempotency-Key of the request ("" for none).
type Registration struct {
	Journal, Date, Key string
}

// Register gives a draft the next number of a journal, freezes it and queues the render of
// the final documents. The number is taken in the same transaction as the state change and
// the audit entry, so it is never lost or reused, also when the render afterwards fails.
// With a key, a retry whose first answer was lost gets the number it was given
// (replayed = true) instead of «already registered».
func (s *Service) Register(ctx context.Context, cl auth.Caller, id uuid.UUID, r Registration) (o *registry.Order, replayed bool, err error) {
	if r.Journal == "" {
		return nil, false, order.Problems{{Path: "journal", Message: "не указан журнал, в котором регистрировать приказ"}}
	}
	dateGiven := r.Date != ""
	if !dateGiven {
		r.Date = ru.Today()
	} else if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
		return nil, false, order.Problems{{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", r.Date)}}
	}
	audit := registry.NewAuditEntry(cl.Actor, "register", nil)
	o, err = s.Store.RegisterOrder(ctx, cl.OrgID, id, registry.RegisterRequest{
		Journal: r.Journal, Date: r.Date, Audit: audit, Key: r.Key, Replayed: &replayed,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			audit.Details, _ = json.Marshal(map[string]any{"number": number, "date": r.Date, "journal": r.Journal, "seq": seq})
			return RegisteredDraft(s.layout(), o, number, r.Date)
		},
	})
	if errors.Is(err, registry.ErrInvalid) {
		return nil, false, order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", r.Journal)}}
	}
	if err != nil {
		return nil, false, err
	}
	if replayed && (o.Journal != r.Journal || dateGiven && o.Date != r.Date) {
		// The key names one request: the same key with another journal or date is not a
		// repeat of it, and its answer must not look like that request succeeded.
		return nil, false, refusal.InState(o.State, fmt.Sprintf(
			"Idempotency-Key: с этим ключом приказ уже зарегистрирован в журнале «%s» датой %s под № %s; запрос с другими журналом или датой — не повтор того запроса",
			o.Journal, o.Date, o.Number))
	}
	// A replay publishes too: if the first attempt died before its publish, this closes the
	// gap sooner than the sweeper; the job id makes a duplicate harmless.
	if !replayed || o.Status == registry.StatusQueued {
		s.Publish(o, "register")
	}
	return o, replayed, nil
}

// Cancel cancels a registered or signed order with a reason; it keeps its number. The
// working copy is rendered again with the cancellation mark; signed.pdf stays as signed.
func (s *Service) Cancel(ctx context.Context, cl auth.Caller, id uuid.UUID, reason string) (*registry.Order, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, order.Problems{{Path: "reason", Message: "не указана причина отмены: напишите, почему приказ отменяется"}}
	}
	o, err := s.Store.Cancel(ctx, cl.OrgID, id, registry.CancelRequest{
		Reason: reason, By: cl.Display(),
		Audit: registry.NewAuditEntry(cl.Actor, "cancel", map[string]string{"reason": reason})})
	if err != nil {
		return nil, err
	}
	s.Publish(o, "cancel")
	return o, nil
}

// AckPeople lists the acknowledgement list of an order's draft.
func AckPeople(o *registry.Order) []string {
	var d order.Draft
	if json.Unmarshal(o.Draft, &d) != nil || d.Acknowledgement == nil {
		return nil
	}
	names := make([]string, len(d.Acknowledgement.People))
	for i, p := range d.Acknowledgement.People {
		names[i] = p.Name
	}
	return names
}

func samePerson(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) }

// Acknowledge records that a person of the acknowledgement list read the order on date
// (YYYY-MM-DD; "" is today in Moscow). The record, its audit entry and the new render of the
// Лист ознакомления are one transaction; a render already under way is refused when it
// finishes (RenderKey).
func (s *Service) Acknowledge(ctx context.Context, cl auth.Caller, id uuid.UUID, person, date string) (*registry.Order, error) {
	o, err := s.Store.GetOrder(ctx, cl.OrgID, id)
	if err != nil {
		return nil, err
	}
	listed := false
	for _, p := range AckPeople(o) {
		listed = listed || person != "" && samePerson(p, person)
	}
	if !listed {
		return nil, order.Problems{{Path: "person", Message: fmt.Sprintf("«%s» нет в списке ознакомления этого приказа", person)}}
	}
	if date == "" {
		date = ru.Today()
	}
	readAt, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, order.Problems{{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", date)}}
	}
	o, err = s.Store.RecordAck(ctx, cl.OrgID, &registry.Ack{OrderID: id, Person: person, ReadAt: readAt, RecordedBy: cl.Actor},
		registry.NewAuditEntry(cl.Actor, "acknowledge", map[string]string{"person": person, "date": date}))
	if errors.Is(err, registry.ErrConflict) {
		return nil, s.alreadyAcknowledged(ctx, cl, id, person, err)
	}
	if err != nil {
		return nil, err
	}
	if o.Status == registry.StatusQueued {
		s.Publish(o, "acknowledgement")
	}
	return o, nil
}

// alreadyAcknowledged words the refusal of a second acknowledgement, with the date of the
// first when it can be read.
func (s *Service) alreadyAcknowledged(ctx context.Context, cl auth.Caller, id uuid.UUID, person string, cause error) error {
	var le *registry.LifecycleError
	if errors.As(cause, &le) {
		// The order's state refused it, not an earlier record.
		return refusal.InState(le.Current, "ознакомление отмечают с зарегистрированным или подписанным приказом, а этот "+le.Current.Word())
	}
	msg := "ознакомление уже записано: " + person
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if acks, err := s.Store.ListAcks(ctx, cl.OrgID, id); err == nil {
		for _, a := range acks {
			if samePerson(a.Person, person) {
				msg += ", " + ru.NumericDate(a.ReadAt)
			}
		}
	}
	return &refusal.Error{Kind: refusal.Conflict, Msg: msg + "; повторно его не записывают", Err: cause}
}

// Rerender queues a rendered or failed order for rendering again.
func (s *Service) Rerender(ctx context.Context, cl auth.Caller, id uuid.UUID) (*registry.Order, error) {
	o, err := s.Store.SetStatus(ctx, cl.OrgID, id,
		[]registry.Status{registry.StatusRendered, registry.StatusFailed}, registry.StatusQueued)
	if err != nil {
		return nil, err
	}
	s.Publish(o, "rerender")
	return o, nil
}
