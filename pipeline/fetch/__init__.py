"""The fetch stage: a polite, resumable crawler that adds fresh captures of the Effectiveness Bank's
matrix pages to raw/ (see README, "Fetching").

config.py   FetchConfig: every politeness setting and its default
pacing.py   per-host rate limiter (injectable clock and sleep)
robots.py   robots.txt rules and Crawl-delay (protego, RFC 9309)
deadline.py each request attempt's deadline, and Ctrl-C that cuts the requests in flight
client.py   the requests Session (urllib3 Retry), one GET with hand-followed redirects and limits
discover.py pure: overview HTML → cell URLs, cell HTML → analysis URLs
store.py    content-addressed captures, manifest rows, the journal of an unfinished run
archive.py  --warc: the run's responses as a WARC file
crawl.py    the run: what to fetch in which order, outcomes, summary, exit status

Nothing is imported here, so the other stages can read store.py's manifest without loading requests.
"""
