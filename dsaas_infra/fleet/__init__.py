"""A fleet of clients: local parallel runs, the GitOps repository layout and its CI workflows."""
