-- Migration 15: under a single-contact restriction, the one officer the resident deals
-- with (a [[staff]] login, or a name as letters should give it). Letters to the
-- customer name and are signed by that contact while the restriction is in force.
ALTER TABLE customers ADD COLUMN restriction_contact TEXT;
