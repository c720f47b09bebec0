# The client's existing network is reused: its owner manages routing, Cloud NAT and
# firewall rules (Dataflow workers need TCP 12345-12346 between themselves; instances here
# have no public IPs, so the subnet needs private Google access).
locals {
  network_id           = "projects/hooli-dsaas-dev/global/networks/corp-vpc"
  network_self_link    = "https://www.googleapis.com/compute/v1/projects/hooli-dsaas-dev/global/networks/corp-vpc"
  subnetwork_id        = "projects/hooli-dsaas-dev/regions/us-east1/subnetworks/corp-analytics"
  subnetwork_self_link = "https://www.googleapis.com/compute/v1/projects/hooli-dsaas-dev/regions/us-east1/subnetworks/corp-analytics"
}
