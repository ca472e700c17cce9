import { z } from 'zod';

/**
 * What a cinder-volume reports about its backend, as Cinder drivers do in get_volume_stats.
 * Capacities are in GiB; extra keys are the driver's own capabilities (matched by extra specs).
 */
export const backendCapabilitiesSchema = z
  .object({
    volume_backend_name: z.string(),
    vendor_name: z.string(),
    driver_version: z.string(),
    storage_protocol: z.string(),
    total_capacity_gb: z.number().nonnegative(),
    free_capacity_gb: z.number(),
    allocated_capacity_gb: z.number().nonnegative(),
    provisioned_capacity_gb: z.number().nonnegative(),
    reserved_percentage: z.number().min(0).max(100),
    thin_provisioning_support: z.boolean(),
    thick_provisioning_support: z.boolean(),
    max_over_subscription_ratio: z.number().positive(),
    multiattach: z.boolean(),
    availability_zone: z.string(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]));

export type BackendCapabilities = z.infer<typeof backendCapabilitiesSchema>;
