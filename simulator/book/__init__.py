"""The book: synthetic books, loan tapes and macro paths, turned into kernel inputs."""
