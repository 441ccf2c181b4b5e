package queue

import (
	"strconv"

	"orders/internal/registry"
)

// JobID is the Nats-Msg-Id of an order's render job. A freshly submitted order uses its id;
// after an edit or a rerender the id carries the time of that change, so the new job is not
// swallowed by the duplicate window while every republish of the same version still is.
func JobID(o *registry.Order) string {
	if o.UpdatedAt.Equal(o.CreatedAt) {
		return o.ID.String()
	}
	return o.ID.String() + ":" + strconv.FormatInt(o.UpdatedAt.UnixNano(), 36)
}
