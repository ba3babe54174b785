"""What agencies follow on the site: Atom, iCalendar and open-data routes."""
