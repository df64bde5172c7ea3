"""A manager's pages: "Mit team", every leader in their scope at a glance."""
