"""Ready-made parts for provisioning specific applications: WordPress, Magento 2, Drupal, Django."""
