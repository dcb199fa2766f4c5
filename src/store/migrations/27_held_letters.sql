-- Migration 27: a deadline met by a letter that is held to be printed and posted (the
-- customer has no email address, or their letters go by post) keeps that letter until
-- an officer records it posted: until then the deadline is "held to post since" the day
-- it was written, not met; posted, its met date becomes the posting date (issue 22,
-- item 9). A held letter is not a sent letter.
ALTER TABLE deadlines ADD COLUMN held_letter_id INTEGER REFERENCES letters(id);
CREATE INDEX deadlines_held_letter ON deadlines(held_letter_id) WHERE held_letter_id IS NOT NULL;
