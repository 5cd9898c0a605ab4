-- Logins whose password is being checked, counted apart from failures: concurrent guesses
-- are bounded by them without a right password counting as a failure.
ALTER TABLE login_failures ADD COLUMN pending integer NOT NULL DEFAULT 0;

--bun:split

DELETE FROM login_failures WHERE octet_length(key) > 300;

--bun:split

ALTER TABLE login_failures ADD CONSTRAINT login_failures_key_check CHECK (octet_length(key) <= 300);
