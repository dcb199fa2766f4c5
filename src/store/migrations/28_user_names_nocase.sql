-- Migration 28: desk account names are unique without regard to case ('ADM1' and
-- 'adm1' cannot both exist: one reads as the other in a list, an assignment or an
-- event). Names are ASCII (letters, digits, '.', '-', '_'), so NOCASE folds them all.
-- A database that already holds such a pair is refused before this runs, naming them
-- (store::migrate_from): which to rename is the admin's choice, not the upgrade's.
CREATE UNIQUE INDEX users_name_nocase ON users(name COLLATE NOCASE);
