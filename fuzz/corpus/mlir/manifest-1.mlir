module attributes {mlopt.manifest = #mlopt.manifest<[]>} {
}
