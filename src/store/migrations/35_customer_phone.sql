-- A customer's telephone number, as an officer records it (a call back, a resident
-- with no email). Personal data: cleared with the rest when the customer is erased.
ALTER TABLE customers ADD COLUMN phone TEXT;
