//! RFC 3074 load balancing as ISC dhcpd 4.4 does it: a Pearson hash of the client's
//! identifier (or hardware address) picks one of 256 buckets, and the hash bucket assignment
//! (HBA) the primary sends in CONNECT says which server serves each bucket.

use dhcpd_leases::model::Lease;

use crate::body::Hba;
use crate::peer::Role;

/// The RFC 3074 mixing table (a permutation of 0..=255).
pub const MIX: [u8; 256] = [
    251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232, 31, 32, 55, 60, 152,
    58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243,
    124, 95, 222, 179, 197, 65, 180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97,
    16, 40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67, 207, 9, 178, 204,
    74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5, 20, 113, 71, 35, 128, 13, 182, 94, 25,
    226, 227, 199, 75, 27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241,
    73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84, 82,
    163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118,
    112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164, 102, 147, 45, 66, 231,
    52, 141, 211, 194, 206, 246, 238, 56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171,
    72, 50, 33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136,
    208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4, 216, 131, 89, 21, 28, 133, 37, 153,
    149, 80, 170, 68, 6, 169, 234, 151,
];

/// The bucket (0..=255) of a hash key: start from the key length, then mix in the key's
/// bytes from the last to the first.
pub fn bucket(key: &[u8]) -> u8 {
    key.iter()
        .rev()
        .fold(key.len() as u8, |h, &b| MIX[usize::from(h ^ b)])
}

/// The bytes ISC hashes for a client: the whole option-61 payload when the client sent one,
/// else `chaddr[..hlen]` (without the hardware type).
pub fn client_key(msg: &dhcpd_wire::Message) -> Vec<u8> {
    match msg.option(61) {
        Some(id) => id,
        None => msg.chaddr[..usize::from(msg.hlen).min(msg.chaddr.len())].to_vec(),
    }
}

/// The bytes ISC hashes for a stored lease: its uid, else its hardware address without the
/// type byte; `None` when it has neither.
pub fn lease_key(lease: &Lease) -> Option<&[u8]> {
    if !lease.uid.is_empty() {
        return Some(&lease.uid);
    }
    lease.hardware.as_ref().map(|h| h.addr())
}

/// The HBA of `split N` (N = 0..=256, larger values are taken as 256): buckets 0..N-1 are the
/// primary's.
pub fn hba_from_split(split: u16) -> Hba {
    let mut hba = [0u8; 32];
    for b in 0..usize::from(split.min(256)) {
        hba[b >> 3] |= 1 << (b & 7);
    }
    hba
}

/// Whether the primary serves bucket `b` (bit `b & 7`, from the least significant bit, of
/// byte `b >> 3`).
pub fn primary_serves(hba: &Hba, b: u8) -> bool {
    hba[usize::from(b >> 3)] & (1 << (b & 7)) != 0
}

/// Whether the server in `role` serves bucket `b`.
pub fn serves_bucket(hba: &Hba, role: Role, b: u8) -> bool {
    primary_serves(hba, b) == (role == Role::Primary)
}

/// The client's `secs` as ISC uses it: with `check-secs-byte-order`, a value above 255 whose
/// low byte is 0 was sent little-endian and is swapped.
pub fn effective_secs(secs: u16, check_secs_byte_order: bool) -> u16 {
    if check_secs_byte_order && secs > 255 && secs & 0xff == 0 {
        secs.swap_bytes()
    } else {
        secs
    }
}

/// ISC's `load_balance_mine`: whether this server answers a DHCPDISCOVER (or dynamic BOOTP
/// request) with hash key `key` and `secs` while load balancing applies (both servers
/// cooperating in NORMAL). `load balance max seconds 0` disables load balancing (both answer);
/// a client that has waited longer than the maximum is answered regardless of the hash.
pub fn load_balance_mine(hba: &Hba, role: Role, key: &[u8], secs: u16, max_secs: u32) -> bool {
    if max_secs == 0 || u32::from(secs) > max_secs {
        return true;
    }
    serves_bucket(hba, role, bucket(key))
}

/// ISC's `peer_wants_lease`: whether the last client of a free lease hashes to the peer
/// (pool balancing moves such leases first). A lease with no client identity is not wanted.
pub fn peer_wants_lease(hba: &Hba, role: Role, lease: &Lease) -> bool {
    match lease_key(lease) {
        Some(k) => !serves_bucket(hba, role, bucket(k)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bitmaps() {
        let h = hba_from_split(128);
        assert_eq!(h[..16], [0xff; 16]);
        assert_eq!(h[16..], [0; 16]);
        let h = hba_from_split(12);
        assert_eq!(h[..3], [0xff, 0x0f, 0]);
        assert_eq!(hba_from_split(0), [0; 32]);
        assert_eq!(hba_from_split(256), [0xff; 32]);
        assert!(primary_serves(&hba_from_split(128), 127));
        assert!(!primary_serves(&hba_from_split(128), 128));
    }

    #[test]
    fn secs_overrides_and_byte_order() {
        let hba = hba_from_split(128);
        let k = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]; // bucket 135: the secondary's
        assert!(!load_balance_mine(&hba, Role::Primary, &k, 3, 3));
        assert!(load_balance_mine(&hba, Role::Primary, &k, 4, 3));
        assert!(load_balance_mine(&hba, Role::Primary, &k, 0, 0));
        assert!(load_balance_mine(&hba, Role::Secondary, &k, 0, 3));
        assert_eq!(effective_secs(0x0400, true), 4);
        assert_eq!(effective_secs(0x0400, false), 0x0400);
        assert_eq!(effective_secs(0x0401, true), 0x0401);
    }
}
