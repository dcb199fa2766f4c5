-- Migration 3: the outbox (rendering and delivery of letters).
-- A letter moves pending -> queued -> sending -> sent, or to held (a contact
-- restriction, or no email address: print and post) or failed (a render error,
-- a permanent SMTP refusal, or too many temporary failures). Every move is one
-- transaction with its event.

-- When the letter was rendered into subject, bodies and PDF.
ALTER TABLE letters ADD COLUMN rendered_at TEXT;
-- When the latest attempt began. A row left in 'sending' for longer than the sender's
-- lease was interrupted (a crash between the SMTP reply and the database update).
ALTER TABLE letters ADD COLUMN last_attempt_at TEXT;
-- Why a letter is held, in words for the officer ('letter-only: print and post').
ALTER TABLE letters ADD COLUMN held_reason TEXT;
-- File name of the PDF attachment, e.g. BNES-2026-00042-acknowledgement.pdf
ALTER TABLE letters ADD COLUMN pdf_name TEXT;
CREATE INDEX letters_due ON letters(status, next_attempt_at);
