import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import {
  type ImageEntity,
  type ImageMemberEntity,
  ImageMembersRepository,
  ImagesRepository,
  RecordNotFoundError,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { isImageMemberStatus } from '@cinderflow/status-machines';
import { badRequest, forbidden, GlanceHttpError, notFound } from '../common/glance-errors';
import { notAuthorized } from '../common/policy';
import { memberPolicy, type MemberRule } from './member-policy';
import { memberIdProblem } from './member-requests';

/** Glance's answer when get_image refuses: webob's bare 404, so nothing about the image leaks. */
const hiddenImage = () => notFound('The resource could not be found.');

/** Glance's ImageMemberLimitExceeded, as image_members.py words it for the 413. */
function memberLimitExceeded(imageId: string, attempted: number, maximum: number) {
  return new GlanceHttpError(
    413,
    `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the ` +
      `number of allowed image members for this image. Attempted: ${attempted}, ` +
      `Maximum: ${maximum}:`,
  );
}

const memberNotFound = (memberId: string, imageId: string) =>
  notFound(`${memberId} not found in the member list of the image ${imageId}.`);

/**
 * Image members, as Glance's ImageMembersController decides: each step (image lookup,
 * `shared` only, member lookup, policy) in its order and with its message.
 */
@Injectable()
export class MembersService {
  private readonly images: ImagesRepository;
  private readonly members: ImageMembersRepository;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
  ) {
    this.images = new ImagesRepository(dataSource.manager);
    this.members = new ImageMembersRepository(dataSource.manager);
  }

  /** `_lookup_image`: a live image the caller may see, or "Image … not found." */
  private async image(caller: RequestContext, imageId: string): Promise<ImageEntity> {
    const image = await this.images.findVisible(imageId, caller);
    if (!image) throw notFound(`Image ${imageId} not found.`);
    return image;
  }

  /** MemberAPIPolicy: get_image (a bare 404), then the rule (403 with oslo.policy's words). */
  private enforce(rule: MemberRule, caller: RequestContext, image: ImageEntity): void {
    const outcome = memberPolicy(rule, caller, image);
    if (outcome === 'not_found') throw hiddenImage();
    if (outcome === 'forbidden') throw notAuthorized(rule);
  }

  /** `_lookup_member`: get_member, then the row the caller may read. */
  private async member(
    caller: RequestContext,
    image: ImageEntity,
    memberId: string,
  ): Promise<ImageMemberEntity> {
    this.enforce('get_member', caller, image);
    const member = await this.members.find(image, memberId, caller);
    if (!member) throw memberNotFound(memberId, image.id);
    return member;
  }

  async create(
    caller: RequestContext,
    imageId: string,
    memberId: string,
  ): Promise<ImageMemberEntity> {
    const image = await this.image(caller, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to create members for image ${imageId}.`);
    }
    this.enforce('add_member', caller, image);
    const maximum = this.config.GLANCE_IMAGE_MEMBER_QUOTA;
    const problem = memberIdProblem(memberId);
    if (problem) {
      // Glance counts the quota before its database refuses the id.
      const attempted = (await this.members.count(image.id)) + 1;
      if (maximum >= 0 && attempted > maximum) {
        throw memberLimitExceeded(imageId, attempted, maximum);
      }
      throw badRequest(problem);
    }
    const result = await this.members.add(image.id, memberId, maximum);
    switch (result.outcome) {
      case 'added':
        return result.member;
      case 'limit':
        throw memberLimitExceeded(imageId, result.attempted, result.maximum);
      case 'duplicate':
        throw new GlanceHttpError(409, `Member ${memberId} is duplicated for image ${imageId}`);
      case 'image_gone':
        throw notFound(`Image ${imageId} not found.`);
    }
  }

  async list(caller: RequestContext, imageId: string): Promise<ImageMemberEntity[]> {
    const image = await this.image(caller, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(
        `Not allowed to list members for image ${imageId}: Only shared images have members.`,
      );
    }
    this.enforce('get_members', caller, image);
    return this.members.list(image, caller);
  }

  async show(
    caller: RequestContext,
    imageId: string,
    memberId: string,
  ): Promise<ImageMemberEntity> {
    const image = await this.image(caller, imageId);
    // Glance turns every refusal here into a 404, so that a member's existence does not leak.
    if (image.visibility !== 'shared') throw notFound('Only shared images have members.');
    try {
      return await this.member(caller, image, memberId);
    } catch (error) {
      if (error instanceof GlanceHttpError && error.status === 403) {
        throw notFound(error.message);
      }
      throw error;
    }
  }

  async update(
    caller: RequestContext,
    imageId: string,
    memberId: string,
    status: unknown,
  ): Promise<ImageMemberEntity> {
    const image = await this.image(caller, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to update members for image ${imageId}.`);
    }
    const member = await this.member(caller, image, memberId);
    this.enforce('modify_member', caller, image);
    if (!isImageMemberStatus(status)) {
      throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    try {
      return await this.members.setStatus(member, status);
    } catch (error) {
      if (error instanceof RecordNotFoundError) throw memberNotFound(memberId, imageId);
      throw error;
    }
  }

  async delete(caller: RequestContext, imageId: string, memberId: string): Promise<void> {
    const image = await this.image(caller, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to delete members for image ${imageId}.`);
    }
    const member = await this.member(caller, image, memberId);
    this.enforce('delete_member', caller, image);
    // Removed meanwhile by another request: the member is gone either way, as asked.
    await this.members.remove(member);
  }
}
