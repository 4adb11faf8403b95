package process

// FlushHistory writes the run history records queued so far (tests wait on
// it instead of sleeping).
func (w *Worker) FlushHistory() { w.history.Flush() }
