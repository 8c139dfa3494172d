# docs/: shipped documentation, installed in $(docdir).
dist_doc_DATA += \
	README.md \
	docs/ARCHITECTURE.md \
	docs/BENCHMARKS.md \
	docs/CONFIG.md \
	docs/DATA-FORMAT.md \
	docs/OPERATIONS.md \
	docs/PROTOCOL.md \
	docs/SCALING.md \
	docs/STORE.md
