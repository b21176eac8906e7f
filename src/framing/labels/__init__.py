"""Labels as data: the append-only store, agreement, adjudication, import and export."""
