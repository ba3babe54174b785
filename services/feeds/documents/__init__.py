"""Documents made from the feed: Atom, iCalendar and open data."""
