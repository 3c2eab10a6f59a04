"""The sales feed from the counter (issue 16): each checkout's sale, and its refund, sent to AIQ's
createUpdateSale for a store whose POS sends AIQ nothing. ``outbox`` (the journal's table),
``sender`` (the background sends), ``feed`` (what checkout and refunds call)."""
